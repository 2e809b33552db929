using System.Globalization;
using Grainetes.Benchmarks.Soak;

namespace Grainetes.Benchmarks;

/// <summary>
/// Issue 8's full soak against a fresh host (process runtime): 200 clients of mixed CRUD and 1,000 watches for two
/// minutes (<c>--quick</c>: the suite's bounded size). The host's watch cap is raised above the watch count through
/// configuration; the in-flight cap stays at its default and the clients wait out its 429s. <c>--minutes N</c> runs
/// it for N minutes instead.
/// </summary>
public static class SoakBenchmark
{
    public static async Task<int> RunAsync(bool quick, double? minutes = null)
    {
        var settings = quick ? SoakSettings.Bounded : SoakSettings.Full;
        if (minutes is { } length)
        {
            // A longer soak separates a leak from the GC and the watch window settling.
            settings = settings with { Duration = TimeSpan.FromMinutes(length) };
        }

        // The host reads ApiServer:* from its environment (one user, the insecure admin, holds every watch).
        Environment.SetEnvironmentVariable("ApiServer__MaxWatchesPerUser", (settings.Watches * 2).ToString(CultureInfo.InvariantCulture));
        await using var cluster = await Cluster.StartAsync("--runtime", "process").ConfigureAwait(false);
        var pid = cluster.RunningHost.ProcessId;
        using var soak = new SoakLoad(cluster.RunningHost.ApiAddress, settings, () => ProcessMemory.ResidentMiB(pid), Cluster.Log);
        using var deadline = new CancellationTokenSource(settings.Duration + TimeSpan.FromMinutes(5));
        var report = await soak.RunAsync(deadline.Token).ConfigureAwait(false);
        Console.WriteLine(report.Format());
        return report.MissedEvents.Count == 0 && report.LostWrites.Count == 0 && report.Errors.Count == 0 ? 0 : 1;
    }
}
