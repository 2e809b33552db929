using System.Runtime.InteropServices;

namespace Grainetes.Benchmarks;

public static class Signals
{
    private const int SigInt = 2;

    /// <summary>Sends SIGINT, as Ctrl-C would, so the process shuts down through its normal path.</summary>
    public static bool Interrupt(int pid) => !OperatingSystem.IsWindows() && NativeMethods.Kill(pid, SigInt) == 0;

    /// <summary>Any signal to one process (2 SIGINT, 9 SIGKILL, 15 SIGTERM).</summary>
    public static bool Send(int pid, int signal) => !OperatingSystem.IsWindows() && NativeMethods.Kill(pid, signal) == 0;

    /// <summary>SIGKILL to a whole process group (a process-runtime container and its children).</summary>
    public static bool KillGroup(int processGroup) =>
        processGroup > 1 && !OperatingSystem.IsWindows() && NativeMethods.Kill(-processGroup, 9) == 0;

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
