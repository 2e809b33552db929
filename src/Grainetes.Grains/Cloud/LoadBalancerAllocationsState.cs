using Grainetes.Grains.Services;

namespace Grainetes.Grains.Cloud;

/// <summary>What the LoadBalancer address book persists: every held address, and where the next search starts.</summary>
[GenerateSerializer, Alias("grainetes.LoadBalancerAllocationsState")]
public sealed class LoadBalancerAllocationsState
{
    [Id(0)]
    public Dictionary<string, ServiceHolding> Addresses { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Searches go round the range from here, so a freed address is the last to be handed out again.</summary>
    [Id(1)]
    public long NextOffset { get; set; }
}
