using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Grainetes.Host.Backup;

/// <summary>
/// Writes a backup: the body goes to a temporary file beside the target while objects stream in (memory stays flat),
/// then the header with the body's checksum is written, the body copied after it, and the result renamed into place,
/// so an interrupted backup never leaves a file that looks complete.
/// </summary>
public sealed class BackupFileWriter : IAsyncDisposable
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly string path;
    private readonly string bodyPath;
    private readonly FileStream bodyFile;
    private readonly GZipStream gzip;
    private readonly Dictionary<string, long> counts = new(StringComparer.Ordinal);
    private bool completed;

    public BackupFileWriter(string path)
    {
        this.path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(this.path)!);
        bodyPath = this.path + ".body-" + Guid.NewGuid().ToString("N")[..8];
        bodyFile = new FileStream(bodyPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        gzip = new GZipStream(bodyFile, CompressionLevel.Fastest, leaveOpen: true);
    }

    public async Task WriteAsync(BackupEntry entry, CancellationToken cancellationToken)
    {
        await JsonSerializer.SerializeAsync(gzip, entry, BackupJsonContext.Default.BackupEntry, cancellationToken);
        await gzip.WriteAsync(NewLine, cancellationToken);
        counts[entry.Kind] = counts.GetValueOrDefault(entry.Kind) + 1;
    }

    /// <summary>Seals the file. <paramref name="cuts"/> gives each kind's version cut; the counts are the ones written.</summary>
    public async Task<BackupHeader> CompleteAsync(IReadOnlyList<(string Kind, long ResourceVersion, long ReservedUpTo)> cuts, string? secretsKeyFingerprint, CancellationToken cancellationToken)
    {
        await gzip.DisposeAsync();
        await bodyFile.FlushAsync(cancellationToken);
        bodyFile.Position = 0;
        var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(bodyFile, cancellationToken));
        var header = new BackupHeader
        {
            Format = BackupFormat.Magic,
            Version = BackupFormat.CurrentVersion,
            CreatedAt = DateTimeOffset.UtcNow,
            Kinds = cuts.Select(c => new BackupKindCut(c.Kind, c.ResourceVersion, c.ReservedUpTo, counts.GetValueOrDefault(c.Kind))).ToList(),
            Objects = counts.Values.Sum(),
            BodySha256 = sha,
            BodyBytes = bodyFile.Length,
            SecretsKeyFingerprint = secretsKeyFingerprint,
        };

        var staging = path + ".partial";
        await using (var output = new FileStream(staging, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            await output.WriteAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header, BackupJsonContext.Default.BackupHeader)), cancellationToken);
            await output.WriteAsync(NewLine, cancellationToken);
            bodyFile.Position = 0;
            await bodyFile.CopyToAsync(output, cancellationToken);
            await output.FlushAsync(cancellationToken);
            output.Flush(flushToDisk: true);
        }

        File.Move(staging, path, overwrite: true);
        completed = true;
        return header;
    }

    public async ValueTask DisposeAsync()
    {
        if (!completed)
        {
            await gzip.DisposeAsync();
        }

        await bodyFile.DisposeAsync();
        File.Delete(bodyPath);
    }
}
