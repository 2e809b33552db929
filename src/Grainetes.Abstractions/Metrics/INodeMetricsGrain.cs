namespace Grainetes.Abstractions.Metrics;

/// <summary>
/// The latest usage of one node and its pods, keyed by the node's name and held in memory only (usage is not an
/// object: like metrics-server, nothing of it is stored). Its node agent's sampler reports every pass; tests
/// report into it directly.
/// </summary>
public interface INodeMetricsGrain : IGrainWithStringKey
{
    /// <summary>Replaces what the node last reported.</summary>
    Task Report(NodeMetricsReport report);

    /// <summary>What the node last reported, or null when it has not reported (since this activation) or its report has expired.</summary>
    [AlwaysInterleave]
    Task<NodeMetricsReport?> Latest();
}
