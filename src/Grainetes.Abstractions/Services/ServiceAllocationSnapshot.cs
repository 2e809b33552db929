namespace Grainetes.Abstractions.Services;

/// <summary>Every held cluster IP and node port with the service (<c>namespace/name</c>) holding it.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.ServiceAllocationSnapshot")]
public sealed record ServiceAllocationSnapshot(
    [property: Id(0)] string ServiceCidr,
    [property: Id(1)] IReadOnlyDictionary<string, string> ClusterIPs,
    [property: Id(2)] IReadOnlyDictionary<int, string> NodePorts);
