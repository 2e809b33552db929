using System.Runtime.InteropServices;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>
/// Writes the files of a Secret, ConfigMap or projected volume as the kubelet's atomic writer does, so that a reader
/// never sees half of one version and half of another. Each version lives in a hidden directory of its own
/// (<c>..2026_01_01_00_00_00.xxxxxxxx</c>); <c>..data</c> is a symlink to the current one, swapped by a rename (which
/// is atomic); and each visible top-level name is a symlink through <c>..data</c>. Every link is relative, so the
/// layout reads the same through a bind mount or a symlink to the volume's directory.
/// </summary>
internal static partial class AtomicWriter
{
    private const string DataLink = "..data";
    private const string NewDataLink = "..data_tmp";
    private const UnixFileMode DirectoryMode = (UnixFileMode)0b111_101_101;

    /// <summary>
    /// Makes <paramref name="targetDirectory"/> hold exactly <paramref name="payload"/> (relative path to file); false
    /// when it already did, so an unchanged volume is not rewritten. <paramref name="volumeMode"/> is the mode of the
    /// volume's directory itself (Secrets keep others out).
    /// </summary>
    public static bool Write(string targetDirectory, IReadOnlyDictionary<string, FileProjection> payload, UnixFileMode volumeMode)
    {
        foreach (var path in payload.Keys)
        {
            Validate(path);
        }

        Directory.CreateDirectory(targetDirectory);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(targetDirectory, volumeMode);
        }

        var dataLink = Path.Combine(targetDirectory, DataLink);
        var oldVersion = new FileInfo(dataLink).LinkTarget;
        var oldDirectory = oldVersion is null ? null : Path.Combine(targetDirectory, oldVersion);
        var visible = payload.Keys.Select(TopLevel).ToHashSet(StringComparer.Ordinal);
        if (oldDirectory is not null && Directory.Exists(oldDirectory) && Holds(oldDirectory, payload))
        {
            // A crash between the swap and the links leaves links to make: finish them.
            LinkVisible(targetDirectory, visible);
            return false;
        }

        var version = $"..{DateTime.UtcNow:yyyy_MM_dd_HH_mm_ss}.{Guid.NewGuid().ToString("N")[..8]}";
        var versionDirectory = Path.Combine(targetDirectory, version);
        CreateDirectory(versionDirectory);
        foreach (var (path, file) in payload)
        {
            var full = Path.Combine(versionDirectory, path);
            CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(full, file.Data);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(full, file.Mode);
            }
        }

        var newLink = Path.Combine(targetDirectory, NewDataLink);
        if (new FileInfo(newLink).LinkTarget is not null || File.Exists(newLink))
        {
            File.Delete(newLink);
        }

        File.CreateSymbolicLink(newLink, version);

        // File.Move refuses a symlink to a directory as its source; rename(2) swaps the link itself.
        if (Rename(newLink, dataLink) != 0)
        {
            throw new IOException($"cannot swap {dataLink}: errno {Marshal.GetLastPInvokeError()}");
        }

        LinkVisible(targetDirectory, visible);
        RemoveStale(targetDirectory, visible, version);
        return true;
    }

    /// <summary>A path an item may name: relative, without <c>..</c> elements, not starting with <c>..</c>.</summary>
    internal static void Validate(string path)
    {
        if (path.Length == 0 || Path.IsPathRooted(path) || path.StartsWith("..", StringComparison.Ordinal)
            || path.Split('/').Any(part => part is "" or "." or ".."))
        {
            throw new VolumeMountException($"invalid path \"{path}\": must be a relative path without '..' elements");
        }
    }

    private static string TopLevel(string path) => path.Split('/')[0];

    /// <summary>Whether a version directory holds exactly the payload, bytes and modes.</summary>
    private static bool Holds(string directory, IReadOnlyDictionary<string, FileProjection> payload)
    {
        var files = Directory.EnumerateFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(f => Path.GetRelativePath(directory, f))
            .ToList();
        if (files.Count != payload.Count) return false;
        foreach (var relative in files)
        {
            if (!payload.TryGetValue(relative, out var file)) return false;
            var full = Path.Combine(directory, relative);
            if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(full) != file.Mode) return false;
            if (!File.ReadAllBytes(full).AsSpan().SequenceEqual(file.Data)) return false;
        }

        return true;
    }

    private static void LinkVisible(string targetDirectory, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            var link = Path.Combine(targetDirectory, name);
            var target = $"{DataLink}/{name}";
            var existing = new FileInfo(link).LinkTarget;
            if (existing == target) continue;
            if (existing is not null) File.Delete(link);
            File.CreateSymbolicLink(link, target);
        }
    }

    /// <summary>Removes visible links no longer in the payload and every version directory but the current one.</summary>
    private static void RemoveStale(string targetDirectory, HashSet<string> visible, string current)
    {
        foreach (var entry in new DirectoryInfo(targetDirectory).EnumerateFileSystemInfos())
        {
            if (entry.Name is DataLink or NewDataLink || entry.Name == current) continue;
            if (entry.Name.StartsWith("..", StringComparison.Ordinal))
            {
                if (entry.LinkTarget is null && entry is DirectoryInfo old) old.Delete(recursive: true);
            }
            else if (entry.LinkTarget is not null && !visible.Contains(entry.Name))
            {
                entry.Delete();
            }
        }
    }

    private static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, DirectoryMode);
        }
    }

    [LibraryImport("libc", EntryPoint = "rename", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Rename(string oldPath, string newPath);
}
