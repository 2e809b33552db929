using System.Globalization;
using System.Runtime.InteropServices;

namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>Process facts from <c>/proc</c> and signals through libc: what the process runtime needs to follow process groups it did not necessarily start in this silo's lifetime.</summary>
internal static partial class ProcFs
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    private const int EPerm = 1;

    /// <summary>The process's start time in clock ticks since boot, or null when it does not exist or is a zombie (already dead, waiting to be reaped).</summary>
    public static long? StartTicks(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
        if (fields.Length < 20 || fields[0] is "Z" or "X" or "x")
        {
            return null;
        }

        return long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) ? ticks : null;
    }

    /// <summary>Whether <paramref name="pid"/> is alive and is the process that started at <paramref name="startTicks"/> (when known).</summary>
    public static bool IsAlive(int pid, long? startTicks)
    {
        var ticks = StartTicks(pid);
        return ticks is not null && (startTicks is null || ticks == startTicks);
    }

    /// <summary>Whether any process is left in the process group (zombies included).</summary>
    public static bool GroupExists(int pgid) => pgid > 1 && (Kill(-pgid, 0) == 0 || Marshal.GetLastPInvokeError() == EPerm);

    /// <summary>Signals every process of the group; false when none was left.</summary>
    public static bool SignalGroup(int pgid, int signal) => pgid > 1 && Kill(-pgid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
