using Grainetes.Abstractions.Metrics;
using Grainetes.Abstractions.Store;
using Microsoft.Extensions.Logging;

namespace Grainetes.Grains.Metrics;

/// <summary>
/// Reads usage across the cluster by asking the metrics grain of every registered node at once. A node whose
/// grain cannot answer is left out (its pods have no metrics, which the HPA algorithm handles), never the whole read.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed partial class ClusterMetricsGrain(ILogger<ClusterMetricsGrain> logger) : Grain, IClusterMetricsGrain
{
    public async Task<IReadOnlyList<PodUsage>> Pods(string? @namespace)
    {
        var reports = await ReportsAsync();
        return reports.SelectMany(r => r.Pods).Where(p => @namespace is null || p.Namespace == @namespace).ToList();
    }

    public async Task<IReadOnlyList<NodeUsage>> Nodes()
    {
        var reports = await ReportsAsync();
        return reports.Select(r => r.Usage).OfType<NodeUsage>().ToList();
    }

    private async Task<IReadOnlyList<NodeMetricsReport>> ReportsAsync()
    {
        var nodes = await GrainFactory.GetGrain<IResourceCollectionGrain>("nodes").Names(null);
        var reports = await Task.WhenAll(nodes.Select(ReportOfAsync));
        return reports.OfType<NodeMetricsReport>().ToList();
    }

    private async Task<NodeMetricsReport?> ReportOfAsync(string node)
    {
        try
        {
            return await GrainFactory.GetGrain<INodeMetricsGrain>(node).Latest();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReadFailed(ex, node);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the usage of node {Node} failed; its pods are left out")]
    private partial void LogReadFailed(Exception ex, string node);
}
