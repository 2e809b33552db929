namespace Grainetes.Abstractions.Metrics;

/// <summary>
/// The cluster-wide reader of usage (the part of metrics-server that answers the Metrics API): asks the
/// <see cref="INodeMetricsGrain"/> of every node. A stateless worker, so each silo's API server and
/// controllers read through a local activation. Key: <c>0</c>.
/// </summary>
public interface IClusterMetricsGrain : IGrainWithIntegerKey
{
    /// <summary>The latest usage of every pod (in one namespace, or all when null) on nodes whose reports are current.</summary>
    Task<IReadOnlyList<PodUsage>> Pods(string? @namespace);

    /// <summary>The latest usage of every node whose report is current.</summary>
    Task<IReadOnlyList<NodeUsage>> Nodes();
}
