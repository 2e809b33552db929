namespace Grainetes.Grains.Services;

/// <summary>What the allocator persists: every held address and port, and where the next search starts.</summary>
[GenerateSerializer, Alias("grainetes.ServiceAllocationsState")]
public sealed class ServiceAllocationsState
{
    [Id(0)]
    public Dictionary<string, ServiceHolding> ClusterIPs { get; set; } = new(StringComparer.Ordinal);

    [Id(1)]
    public Dictionary<int, ServiceHolding> NodePorts { get; set; } = [];

    /// <summary>
    /// Searches go round the range from here, so an address just freed is the last to be handed out again
    /// (clients and proxies may still point at it).
    /// </summary>
    [Id(2)]
    public long NextIpOffset { get; set; }

    [Id(3)]
    public int NextNodePort { get; set; }
}
