using System.Formats.Tar;

namespace Grainetes.NodeAgent.Runtime.Docker;

/// <summary>The root file system of the pause image: one static busybox, imported without any registry.</summary>
internal static class PauseImageArchive
{
    public const string Command = """CMD ["/bin/busybox","sleep","2147483647"]""";

    public static async Task<MemoryStream> CreateAsync(string busyboxPath, CancellationToken cancellationToken)
    {
        var archive = new MemoryStream();
        await using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var dir in new[] { "bin/", "tmp/", "etc/" })
            {
                await writer.WriteEntryAsync(
                    new PaxTarEntry(TarEntryType.Directory, dir)
                    {
                        Mode = dir == "tmp/"
                            ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute | UnixFileMode.StickyBit
                            : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
                    },
                    cancellationToken).ConfigureAwait(false);
            }

            await using var busybox = File.OpenRead(busyboxPath);
            await writer.WriteEntryAsync(
                new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox")
                {
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
                    DataStream = busybox,
                },
                cancellationToken).ConfigureAwait(false);
        }

        archive.Position = 0;
        return archive;
    }
}
