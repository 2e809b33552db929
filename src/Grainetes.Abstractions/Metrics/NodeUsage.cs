namespace Grainetes.Abstractions.Metrics;

/// <summary>A whole node's usage (every process on the host, not only pods), averaged over <see cref="Window"/> ending at <see cref="Timestamp"/>.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.NodeUsage")]
public sealed record NodeUsage(
    [property: Id(0)] string Node,
    [property: Id(1)] DateTimeOffset Timestamp,
    [property: Id(2)] TimeSpan Window,
    [property: Id(3)] long CpuNanoCores,
    [property: Id(4)] long MemoryBytes);
