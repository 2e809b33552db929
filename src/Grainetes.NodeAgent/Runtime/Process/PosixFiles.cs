using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>The few POSIX calls .NET has no API for: named pipes for containers' stdin, and a terminal's window size.</summary>
internal static partial class PosixFiles
{
    private const int OWrOnly = 0x1;
    private const int ORdWr = 0x2;
    private const int ONoCtty = 0x100;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const int FGetFl = 3;
    private const int FSetFl = 4;
    private const int ENxio = 6;

    // asm-generic value, shared by x86-64 and arm64.
    private const nuint TiocSWinSz = 0x5414;

    /// <summary>Makes a named pipe (mode 0600); true when it exists afterwards.</summary>
    public static bool MakeFifo(string path) =>
        MkFifo(path, 0b110_000_000) == 0 || Marshal.GetLastPInvokeError() == 17 /* EEXIST */;

    /// <summary>
    /// Opens a named pipe for writing without waiting for a reader: null when nobody reads it (the container is gone).
    /// The returned stream blocks on writes, as a pipe does.
    /// </summary>
    public static FileStream? OpenFifoForWriting(string path)
    {
        var fd = Open(path, OWrOnly | ONonBlock | OCloExec);
        if (fd < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            return error == ENxio || error == 2 /* ENOENT */ ? null : throw new IOException($"cannot open {path}: errno {error}");
        }

        var flags = Fcntl(fd, FGetFl, 0);
        Fcntl(fd, FSetFl, flags & ~ONonBlock);
        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
    }

    /// <summary>Sets the window size of the terminal at <paramref name="terminalPath"/> (its foreground processes get SIGWINCH).</summary>
    public static bool SetWindowSize(string terminalPath, ushort columns, ushort rows)
    {
        var fd = Open(terminalPath, ORdWr | ONoCtty | ONonBlock | OCloExec);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            var size = new WinSize { Rows = rows, Columns = columns };
            return Ioctl(fd, TiocSWinSz, ref size) == 0;
        }
        finally
        {
            Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkFifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, nuint request, ref WinSize size);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows;
        public ushort Columns;
        public ushort XPixels;
        public ushort YPixels;
    }
}
