using System.Text;
using Grainetes.Host.Backup;

namespace Grainetes.Tests.Storage;

/// <summary>The backup file on its own: what is written reads back, and every kind of damage is named.</summary>
public sealed class BackupFileTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "grainetes-backupfile-" + Guid.NewGuid().ToString("N")[..8]);

    public BackupFileTests() => Directory.CreateDirectory(directory);

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task WhatIsWrittenReadsBackWithItsCutsAndCounts()
    {
        var path = await WriteAsync(3);
        var contents = await BackupFileReader.ReadAsync(path, CancellationToken.None);
        Assert.Equal(BackupFormat.CurrentVersion, contents.Header.Version);
        Assert.Equal(3, contents.Header.Objects);
        Assert.Equal(new BackupKindCut("configmaps", 10, 10_010, 3), Assert.Single(contents.Header.Kinds));
        Assert.Equal(["c0", "c1", "c2"], contents.Entries.Select(e => e.Name));
        Assert.Equal([path], Directory.GetFiles(directory));
    }

    [Fact]
    public async Task AnEmptyStoreMakesAReadableBackup()
    {
        var path = await WriteAsync(0);
        Assert.Empty((await BackupFileReader.ReadAsync(path, CancellationToken.None)).Entries);
    }

    [Theory]
    [InlineData("truncated", "cut short")]
    [InlineData("flipped", "SHA-256")]
    [InlineData("garbage", "not a Grainetes backup")]
    [InlineData("version", "format version 2")]
    [InlineData("count", "promises")]
    [InlineData("empty", "ends inside its header")]
    public async Task DamageIsRefusedWithItsCause(string damage, string message)
    {
        var path = await WriteAsync(50);
        var bytes = await File.ReadAllBytesAsync(path);
        var headerEnd = Array.IndexOf(bytes, (byte)'\n') + 1;
        var header = Encoding.UTF8.GetString(bytes, 0, headerEnd);
        byte[] damaged = damage switch
        {
            "truncated" => bytes[..^10],
            "flipped" => Flip(bytes, bytes.Length - 20),
            "garbage" => [.. "{\"hello\":1}\n"u8.ToArray(), .. bytes[headerEnd..]],
            "version" => [.. Encoding.UTF8.GetBytes(header.Replace("\"version\":1", "\"version\":2", StringComparison.Ordinal)), .. bytes[headerEnd..]],
            "count" => [.. Encoding.UTF8.GetBytes(header.Replace("\"objects\":50", "\"objects\":51", StringComparison.Ordinal)), .. bytes[headerEnd..]],
            _ => [],
        };
        await File.WriteAllBytesAsync(path, damaged);
        var error = await Assert.ThrowsAsync<BackupFormatException>(() => BackupFileReader.ReadAsync(path, CancellationToken.None));
        Assert.Contains(message, error.Message);
    }

    private async Task<string> WriteAsync(int objects)
    {
        var path = Path.Combine(directory, "b.bak");
        await using var writer = new BackupFileWriter(path);
        for (var i = 0; i < objects; i++)
        {
            await writer.WriteAsync(new BackupEntry("configmaps", "default", "c" + i, 1 + (i % 10), $$$"""{"metadata":{"name":"c{{{i}}}"}}"""), CancellationToken.None);
        }

        await writer.CompleteAsync([("configmaps", 10, 10_010)], null, CancellationToken.None);
        return path;
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0x5a;
        return copy;
    }
}
