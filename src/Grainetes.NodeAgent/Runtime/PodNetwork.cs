namespace Grainetes.NodeAgent.Runtime;

/// <summary>
/// Where this host's pods live on the network: a bridge with its own subnet (each pod its own IP), or the host's
/// network itself (<see cref="Host"/>: every pod's IP is the host's, so its ports are the host's ports).
/// </summary>
/// <param name="Subnet">The bridge's subnet, the node's <c>spec.podCIDR</c>; null for the host network.</param>
/// <param name="Interface">The bridge's interface on the host (where cluster IPs are made local); null for the host network.</param>
public sealed record PodNetwork(string? Subnet, string? Interface)
{
    public static PodNetwork Host { get; } = new(null, null);

    /// <summary>Whether pods share the host's network namespace.</summary>
    public bool IsHost => Subnet is null;
}
