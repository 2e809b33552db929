using k8s.Models;

namespace Grainetes.Grains.Cloud;

/// <summary>The answer of <see cref="ICloudProvider.GetLoadBalancerAsync"/>: Kubernetes' <c>(status, exists, err)</c> without the error.</summary>
public sealed record LoadBalancerLookup(bool Exists, V1LoadBalancerStatus? Status)
{
    public static LoadBalancerLookup Missing { get; } = new(false, null);
}
