using System.Globalization;

namespace Grainetes.Benchmarks;

/// <summary>Resident memory and CPU time of a process from /proc, and a wait for a set of processes to go quiet.</summary>
public static class ProcessMemory
{
    // USER_HZ is 100 on every Linux ABI .NET runs on.
    private const double TicksPerSecond = 100;

    public static double ResidentMiB(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kib = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                return kib / 1024.0;
            }
        }

        throw new InvalidDataException($"/proc/{pid}/status has no VmRSS line");
    }

    /// <summary>User plus system CPU time so far, in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name can hold spaces and parentheses; the fields after the last ')' are fixed.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime + stime) / TicksPerSecond;
    }

    /// <summary>
    /// Polls until the processes together used less than <paramref name="maxCpuShare"/> of one core over a trailing
    /// <paramref name="window"/>; a background timer (Orleans membership, Azurite's periodic save) keeps that from being zero.
    /// Returns whether they went quiet before <paramref name="timeout"/>.
    /// </summary>
    public static async Task<bool> WaitUntilIdleAsync(
        IReadOnlyList<int> pids, TimeSpan window, double maxCpuShare, TimeSpan timeout)
    {
        var interval = TimeSpan.FromMilliseconds(500);
        var samples = new Queue<(DateTime At, double Cpu)>();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var now = DateTime.UtcNow;
            var cpu = pids.Sum(CpuSeconds);
            samples.Enqueue((now, cpu));
            while (samples.Count > 1 && now - samples.Peek().At > window)
            {
                samples.Dequeue();
            }

            var oldest = samples.Peek();
            if (now - oldest.At >= window - interval && (cpu - oldest.Cpu) / (now - oldest.At).TotalSeconds < maxCpuShare)
            {
                return true;
            }

            await Task.Delay(interval).ConfigureAwait(false);
        }

        return false;
    }
}
