namespace Grainetes.Abstractions.Metrics;

/// <summary>One container's resource usage: cpu as a rate in nanocores, memory as its working set in bytes.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.ContainerUsage")]
public sealed record ContainerUsage(
    [property: Id(0)] string Name,
    [property: Id(1)] long CpuNanoCores,
    [property: Id(2)] long MemoryBytes);
