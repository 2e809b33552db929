using k8s.Models;

namespace Grainetes.Grains.Cloud;

/// <summary>
/// What the cloud controller needs of a cloud, shaped like Kubernetes' <c>cloudprovider.LoadBalancer</c>. A provider
/// is registered in DI as a keyed singleton under its name and chosen by <see cref="CloudOptions.Provider"/>, so a new
/// one needs no change to the controller. Calls are made inside a grain call: a provider must answer within seconds
/// and leave long work (programming a device, opening listeners) to something outside the call. Every method must
/// be idempotent: the controller calls it again after crashes, conflicts and resyncs.
/// </summary>
public interface ICloudProvider
{
    /// <summary>Whether the service's load balancer exists, and its status if so.</summary>
    Task<LoadBalancerLookup> GetLoadBalancerAsync(V1Service service, CancellationToken cancellationToken);

    /// <summary>Creates the load balancer or brings it in line with the service and nodes; returns its status.</summary>
    /// <exception cref="CloudProviderException">The load balancer cannot be made as asked (for example a requested address is taken).</exception>
    Task<V1LoadBalancerStatus> EnsureLoadBalancerAsync(V1Service service, IReadOnlyList<V1Node> nodes, CancellationToken cancellationToken);

    /// <summary>Points an existing load balancer at a changed node set.</summary>
    Task UpdateLoadBalancerAsync(V1Service service, IReadOnlyList<V1Node> nodes, CancellationToken cancellationToken);

    /// <summary>Deletes the load balancer if it exists; succeeds when it does not.</summary>
    Task EnsureLoadBalancerDeletedAsync(V1Service service, CancellationToken cancellationToken);
}
