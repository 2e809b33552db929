using System.Globalization;
using Grainetes.NodeAgent.Runtime.Process;

namespace Grainetes.NodeAgent.Metrics;

/// <summary>Reads the host's cpu and memory use from <c>/proc/stat</c> and <c>/proc/meminfo</c>.</summary>
public static class HostUsageReader
{
    /// <summary>A reading now, or null where <c>/proc</c> cannot be read (not Linux).</summary>
    public static HostUsageSample? Read(DateTimeOffset at)
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
            if (cpu is null)
            {
                return null;
            }

            // user nice system idle iowait irq softirq steal: busy is everything but idle and iowait.
            var fields = cpu.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0).ToArray();
            if (fields.Length < 4)
            {
                return null;
            }

            var busy = fields.Take(Math.Min(8, fields.Length)).Sum() - fields[3] - (fields.Length > 4 ? fields[4] : 0);
            var memory = MemInfo();
            return new HostUsageSample(at, busy * (1_000_000_000 / ProcFs.ClockTicksPerSecond), memory);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long MemInfo()
    {
        long total = 0, available = 0;
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                total = Kibibytes(line);
            }
            else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
            {
                available = Kibibytes(line);
            }
        }

        return Math.Max(0, total - available) * 1024;
    }

    private static long Kibibytes(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : 0;
    }
}
