using System.Diagnostics;
using Grainetes.Benchmarks.Soak;
using Grainetes.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Grainetes.Tests.Faults;

/// <summary>
/// The bounded soak against the real host on loopback: 50 clients of mixed CRUD and 200 open watches for 30 s. No
/// watch may miss or reorder an event, no acknowledged write may be lost, and nothing may fail but a 429 (waited
/// out for its Retry-After). Latency and memory are printed, not asserted (the machine is shared).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SoakTests(ClusterFixture cluster, ITestOutputHelper output)
{
    [Fact]
    public async Task MixedCrudUnderOpenWatchesLosesNothingAndMissesNoEvent()
    {
        var pid = cluster.Host.ProcessId;
        using var soak = new SoakLoad(cluster.ApiAddress, SoakSettings.Bounded, () => ResidentMiB(pid), output.WriteLine);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var report = await soak.RunAsync(deadline.Token);
        output.WriteLine(report.Format());

        Assert.Empty(report.Errors);
        Assert.Empty(report.MissedEvents);
        Assert.Empty(report.LostWrites);
        Assert.True(report.LatenciesMs.GetValueOrDefault("create")?.Count > 50, "too few creates to prove anything");
        Assert.True(report.LatenciesMs.GetValueOrDefault("delete")?.Count > 10, "too few deletes to prove anything");
        Assert.True(report.EventsDelivered > 1000, $"only {report.EventsDelivered} watch events delivered");
    }

    private static double? ResidentMiB(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.WorkingSet64 / (1024.0 * 1024.0);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
