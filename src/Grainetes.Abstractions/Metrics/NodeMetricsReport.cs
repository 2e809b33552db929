namespace Grainetes.Abstractions.Metrics;

/// <summary>
/// What one node agent measured in one sampling pass: the node and every pod running on it. Readers trust it
/// until <see cref="ValidUntil"/> (a few sampling periods), so a node that stops reporting stops being served.
/// </summary>
[GenerateSerializer, Immutable, Alias("grainetes.NodeMetricsReport")]
public sealed record NodeMetricsReport(
    [property: Id(0)] string Node,
    [property: Id(1)] NodeUsage? Usage,
    [property: Id(2)] IReadOnlyList<PodUsage> Pods,
    [property: Id(3)] DateTimeOffset ValidUntil);
