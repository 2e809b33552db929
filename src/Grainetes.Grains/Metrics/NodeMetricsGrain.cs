using Grainetes.Abstractions.Metrics;

namespace Grainetes.Grains.Metrics;

/// <summary>
/// Holds one node's latest usage in memory. Nothing is persisted: after a silo loss the next sampling pass
/// (seconds later) fills it again, as metrics-server refills its cache by scraping.
/// </summary>
[Reentrant]
public sealed class NodeMetricsGrain(TimeProvider time) : Grain, INodeMetricsGrain
{
    private NodeMetricsReport? latest;

    public Task Report(NodeMetricsReport report)
    {
        // A late report from an older pass must not replace a newer one.
        if (latest is null || report.Usage is null || latest.Usage is null || report.Usage.Timestamp >= latest.Usage.Timestamp)
        {
            latest = report;
        }

        return Task.CompletedTask;
    }

    public Task<NodeMetricsReport?> Latest() =>
        Task.FromResult(latest is not null && latest.ValidUntil >= time.GetUtcNow() ? latest : null);
}
