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

    /// <summary>Clock ticks per second (<c>sysconf(_SC_CLK_TCK)</c>), the unit of cpu times in <c>/proc</c>.</summary>
    public static long ClockTicksPerSecond { get; } = SysConf(ScClkTck) is > 0 and var ticks ? ticks : 100;

    /// <summary>
    /// Cpu time (ticks: user, system, and that of reaped children) and resident pages of every process in the given
    /// sessions, summed per session, from one pass over <c>/proc</c>.
    /// </summary>
    public static Dictionary<int, (long Ticks, long ResidentPages)> SessionUsage(IReadOnlySet<int> sessions)
    {
        var usage = new Dictionary<int, (long Ticks, long ResidentPages)>();
        if (sessions.Count == 0)
        {
            return usage;
        }

        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc");
        }
        catch (IOException)
        {
            return usage;
        }

        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]) || ReadStatFields(entry + "/stat") is not { } fields)
            {
                continue;
            }

            // fields[0] is field 3 (state): session is field 6, utime..cstime 14-17, rss 24.
            if (fields.Length < 22 || !int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var session) || !sessions.Contains(session))
            {
                continue;
            }

            long ticks = 0;
            for (var i = 11; i <= 14; i++)
            {
                ticks += long.TryParse(fields[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var t) ? t : 0;
            }

            var rss = long.TryParse(fields[21], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var r) ? Math.Max(0, r) : 0;
            var sum = usage.GetValueOrDefault(session);
            usage[session] = (sum.Ticks + ticks, sum.ResidentPages + rss);
        }

        return usage;
    }

    /// <summary>The fields after the command name of a <c>/proc/pid/stat</c> file, or null when it cannot be read.</summary>
    private static string[]? ReadStatFields(string path)
    {
        string stat;
        try
        {
            stat = File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        var close = stat.LastIndexOf(')');
        return close < 0 ? null : stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private const int ScClkTck = 2;

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
