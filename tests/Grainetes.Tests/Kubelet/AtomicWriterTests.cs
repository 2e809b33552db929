using System.Runtime.Versioning;
using System.Text;
using Grainetes.NodeAgent.Kubelet;

namespace Grainetes.Tests.Kubelet;

[UnsupportedOSPlatform("windows")]
public sealed class AtomicWriterTests : IDisposable
{
    private static readonly UnixFileMode ReadWrite = (UnixFileMode)0b110_100_100;
    private static readonly UnixFileMode OwnerRead = (UnixFileMode)0b100_000_000;
    private readonly string root = Directory.CreateTempSubdirectory("grainetes-atomic-").FullName;

    private string Volume => Path.Combine(root, "vol");

    [Fact]
    public void FilesAreWrittenWithTheirModesBehindTheDataLink()
    {
        Assert.True(AtomicWriter.Write(Volume, Payload(("a", "one", ReadWrite), ("sub/b", "two", OwnerRead)), (UnixFileMode)0b111_000_000));

        Assert.Equal("one", File.ReadAllText(Path.Combine(Volume, "a")));
        Assert.Equal("two", File.ReadAllText(Path.Combine(Volume, "sub", "b")));
        Assert.Equal("..data/a", new FileInfo(Path.Combine(Volume, "a")).LinkTarget);
        Assert.Equal("..data/sub", new FileInfo(Path.Combine(Volume, "sub")).LinkTarget);
        var version = new FileInfo(Path.Combine(Volume, "..data")).LinkTarget;
        Assert.StartsWith("..", version);
        Assert.Equal(ReadWrite, File.GetUnixFileMode(Path.Combine(Volume, version!, "a")));
        Assert.Equal(OwnerRead, File.GetUnixFileMode(Path.Combine(Volume, version!, "sub", "b")));
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(Volume));
    }

    [Fact]
    public void AnUnchangedPayloadIsNotRewrittenAndAChangeSwapsTheWholeSet()
    {
        AtomicWriter.Write(Volume, Payload(("a", "one", ReadWrite), ("gone", "x", ReadWrite)), ReadWrite);
        var first = new FileInfo(Path.Combine(Volume, "..data")).LinkTarget;
        Assert.False(AtomicWriter.Write(Volume, Payload(("a", "one", ReadWrite), ("gone", "x", ReadWrite)), ReadWrite));
        Assert.Equal(first, new FileInfo(Path.Combine(Volume, "..data")).LinkTarget);

        // A mode change alone is a change.
        Assert.True(AtomicWriter.Write(Volume, Payload(("a", "one", OwnerRead), ("gone", "x", ReadWrite)), ReadWrite));
        Assert.True(AtomicWriter.Write(Volume, Payload(("a", "two", ReadWrite), ("new", "y", ReadWrite)), ReadWrite));
        var current = new FileInfo(Path.Combine(Volume, "..data")).LinkTarget;
        Assert.NotEqual(first, current);
        Assert.Equal("two", File.ReadAllText(Path.Combine(Volume, "a")));
        Assert.Equal("y", File.ReadAllText(Path.Combine(Volume, "new")));
        Assert.False(Path.Exists(Path.Combine(Volume, "gone")));

        // Only the current version is left, beside the link and the visible names.
        Assert.Equal(
            new[] { "..data", current!, "a", "new" }.Order(StringComparer.Ordinal),
            Directory.EnumerateFileSystemEntries(Volume).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AVersionLeftHalfWrittenByACrashIsNeverSeenAndIsClearedByTheNextWrite()
    {
        AtomicWriter.Write(Volume, Payload(("a", "one", ReadWrite), ("b", "one", ReadWrite)), ReadWrite);

        // A writer that died after writing half of the next version, before the swap.
        var stray = Path.Combine(Volume, "..2026_01_01_00_00_00.deadbeef");
        Directory.CreateDirectory(stray);
        File.WriteAllText(Path.Combine(stray, "a"), "two");
        File.CreateSymbolicLink(Path.Combine(Volume, "..data_tmp"), "..2026_01_01_00_00_00.deadbeef");
        Assert.Equal("one", File.ReadAllText(Path.Combine(Volume, "a")));
        Assert.Equal("one", File.ReadAllText(Path.Combine(Volume, "b")));

        Assert.True(AtomicWriter.Write(Volume, Payload(("a", "two", ReadWrite), ("b", "two", ReadWrite)), ReadWrite));
        Assert.Equal("two", File.ReadAllText(Path.Combine(Volume, "a")));
        Assert.Equal("two", File.ReadAllText(Path.Combine(Volume, "b")));
        Assert.False(Directory.Exists(stray));
        Assert.False(Path.Exists(Path.Combine(Volume, "..data_tmp")));
    }

    [Fact]
    public async Task AReaderAlwaysSeesOneWholeVersion()
    {
        AtomicWriter.Write(Volume, Payload(("a", "0", ReadWrite), ("b", "0", ReadWrite)), ReadWrite);
        using var done = new CancellationTokenSource();
        var mismatches = 0;
        var reads = 0;
        var reader = Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                // As a reader that opens the version once (the link), then reads the set from it.
                var version = new FileInfo(Path.Combine(Volume, "..data")).LinkTarget!;
                try
                {
                    var a = File.ReadAllText(Path.Combine(Volume, version, "a"));
                    var b = File.ReadAllText(Path.Combine(Volume, version, "b"));
                    if (a != b) Interlocked.Increment(ref mismatches);
                    Interlocked.Increment(ref reads);
                }
                catch (IOException)
                {
                    // That version was retired while being read; the next read takes the new one.
                }
            }
        });

        // At least 200 versions, and on until the reader (which a loaded machine may start late) has read some.
        var versions = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((versions < 200 || Volatile.Read(ref reads) < 20) && DateTime.UtcNow < deadline)
        {
            versions++;
            AtomicWriter.Write(Volume, Payload(("a", $"{versions}", ReadWrite), ("b", $"{versions}", ReadWrite)), ReadWrite);
        }

        await done.CancelAsync();
        await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, mismatches);
        Assert.True(reads >= 20, $"only {reads} reads");
        Assert.Equal($"{versions}", File.ReadAllText(Path.Combine(Volume, "b")));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("..data")]
    [InlineData("a//b")]
    public void PathsThatLeaveTheVolumeAreRefused(string path)
    {
        Assert.Throws<VolumeMountException>(() => AtomicWriter.Write(Volume, Payload((path, "x", ReadWrite)), ReadWrite));
        Assert.False(Path.Exists(Path.Combine(Volume, "..data")));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static Dictionary<string, FileProjection> Payload(params (string Path, string Text, UnixFileMode Mode)[] files) =>
        files.ToDictionary(f => f.Path, f => new FileProjection(Encoding.UTF8.GetBytes(f.Text), f.Mode));
}
