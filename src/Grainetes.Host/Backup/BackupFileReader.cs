using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Grainetes.Host.Backup;

/// <summary>
/// Reads a backup file and checks all of it — header, format version, body checksum and length, every line, the
/// counts and version cuts the header promises — before a restore writes anything.
/// </summary>
public static class BackupFileReader
{
    /// <exception cref="BackupFormatException">The file is damaged, cut short, foreign, or of an unknown version.</exception>
    public static async Task<BackupContents> ReadAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        var header = await ReadHeaderAsync(file, cancellationToken);
        var bodyStart = file.Position;
        if (file.Length - bodyStart != header.BodyBytes)
        {
            throw new BackupFormatException($"the body is {file.Length - bodyStart} bytes but the header says {header.BodyBytes}: the file is cut short or has been altered");
        }

        var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
        if (!string.Equals(sha, header.BodySha256, StringComparison.Ordinal))
        {
            throw new BackupFormatException($"the body's SHA-256 is {sha} but the header says {header.BodySha256}: the file is damaged");
        }

        file.Position = bodyStart;
        var entries = await ReadBodyAsync(file, cancellationToken);
        CheckAgainstHeader(header, entries);
        return new BackupContents(header, entries);
    }

    private static async Task<BackupHeader> ReadHeaderAsync(FileStream file, CancellationToken cancellationToken)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await file.ReadAsync(one, cancellationToken) == 0)
            {
                throw new BackupFormatException("the file ends inside its header: it is empty, cut short or not a Grainetes backup");
            }

            if (one[0] == (byte)'\n')
            {
                break;
            }

            bytes.Add(one[0]);
            if (bytes.Count > BackupFormat.MaxHeaderBytes)
            {
                throw new BackupFormatException("the file has no header line: it is not a Grainetes backup");
            }
        }

        BackupHeader? header;
        try
        {
            header = JsonSerializer.Deserialize(Encoding.UTF8.GetString(bytes.ToArray()), BackupJsonContext.Default.BackupHeader);
        }
        catch (JsonException ex)
        {
            throw new BackupFormatException("the header is not valid: the file is not a Grainetes backup or is damaged (" + ex.Message + ")", ex);
        }

        if (header is null || header.Format != BackupFormat.Magic)
        {
            throw new BackupFormatException($"the header does not name the format '{BackupFormat.Magic}': the file is not a Grainetes backup");
        }

        if (header.Version != BackupFormat.CurrentVersion)
        {
            throw new BackupFormatException(string.Create(CultureInfo.InvariantCulture,
                $"the backup has format version {header.Version}; this Grainetes reads version {BackupFormat.CurrentVersion} only"));
        }

        return header;
    }

    private static async Task<List<BackupEntry>> ReadBodyAsync(FileStream file, CancellationToken cancellationToken)
    {
        var entries = new List<BackupEntry>();
        try
        {
            await using var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
            using var reader = new StreamReader(gzip, Encoding.UTF8);
            var number = 0;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                number++;
                var entry = JsonSerializer.Deserialize(line, BackupJsonContext.Default.BackupEntry);
                if (entry is null || string.IsNullOrEmpty(entry.Kind) || string.IsNullOrEmpty(entry.Name) || entry.Namespace is null
                    || string.IsNullOrEmpty(entry.Object) || entry.ResourceVersion <= 0)
                {
                    throw new BackupFormatException(string.Create(CultureInfo.InvariantCulture, $"line {number} of the body is not an object entry"));
                }

                entries.Add(entry);
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException)
        {
            throw new BackupFormatException("the body cannot be read: " + ex.Message, ex);
        }

        return entries;
    }

    private static void CheckAgainstHeader(BackupHeader header, List<BackupEntry> entries)
    {
        var cuts = header.Kinds.ToDictionary(k => k.Kind, StringComparer.Ordinal);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var seen = new HashSet<(string, string, string)>();
        foreach (var e in entries)
        {
            if (!cuts.TryGetValue(e.Kind, out var cut))
            {
                throw new BackupFormatException($"the body holds kind '{e.Kind}', which the header does not list");
            }

            if (e.ResourceVersion > cut.ResourceVersion)
            {
                throw new BackupFormatException($"{e.Kind} {e.Namespace}/{e.Name} has version {e.ResourceVersion}, above its kind's cut {cut.ResourceVersion}");
            }

            if (!seen.Add((e.Kind, e.Namespace, e.Name)))
            {
                throw new BackupFormatException($"{e.Kind} {e.Namespace}/{e.Name} appears twice");
            }

            counts[e.Kind] = counts.GetValueOrDefault(e.Kind) + 1;
        }

        foreach (var cut in header.Kinds)
        {
            if (counts.GetValueOrDefault(cut.Kind) != cut.Count)
            {
                throw new BackupFormatException($"the header promises {cut.Count} {cut.Kind} but the body holds {counts.GetValueOrDefault(cut.Kind)}");
            }
        }

        if (entries.Count != header.Objects)
        {
            throw new BackupFormatException($"the header promises {header.Objects} objects but the body holds {entries.Count}");
        }
    }
}
