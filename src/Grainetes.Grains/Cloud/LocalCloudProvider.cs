using Grainetes.Abstractions.Cloud;
using k8s.Models;

namespace Grainetes.Grains.Cloud;

/// <summary>
/// A cloud on one machine: each LoadBalancer service gets its own loopback address from
/// <see cref="LocalCloudOptions.AddressRange"/> (kept by <see cref="ILoadBalancerIpAllocatorGrain"/>), and every silo's
/// <see cref="LocalLoadBalancerForwarder"/> forwards TCP from that address and the service's ports to the ports'
/// NodePorts on 127.0.0.1, where the host's proxy listens. The node set does not matter: every host forwards to itself.
/// </summary>
public sealed class LocalCloudProvider(IGrainFactory grains) : ICloudProvider
{
    public const string Name = "local";

    private ILoadBalancerIpAllocatorGrain Allocator => grains.GetGrain<ILoadBalancerIpAllocatorGrain>("default");

    public async Task<LoadBalancerLookup> GetLoadBalancerAsync(V1Service service, CancellationToken cancellationToken)
    {
        var address = await Allocator.Lookup(Owner(service), service.Metadata?.Uid ?? "");
        return address is null ? LoadBalancerLookup.Missing : new LoadBalancerLookup(true, Status(address));
    }

    public async Task<V1LoadBalancerStatus> EnsureLoadBalancerAsync(V1Service service, IReadOnlyList<V1Node> nodes, CancellationToken cancellationToken)
    {
        var requested = service.Spec?.LoadBalancerIP is { Length: > 0 } ip ? ip : null;
        var allocation = await Allocator.Allocate(Owner(service), service.Metadata?.Uid ?? "", requested);
        return allocation.Succeeded ? Status(allocation.Address!) : throw new CloudProviderException(allocation.Error!);
    }

    public Task UpdateLoadBalancerAsync(V1Service service, IReadOnlyList<V1Node> nodes, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task EnsureLoadBalancerDeletedAsync(V1Service service, CancellationToken cancellationToken) =>
        Allocator.Release(Owner(service), service.Metadata?.Uid ?? "");

    private static string Owner(V1Service service) => service.Metadata?.NamespaceProperty + "/" + service.Metadata?.Name;

    // "VIP": traffic to the address reaches the service's ports as if sent to the address itself (Kubernetes' default).
    private static V1LoadBalancerStatus Status(string address) => new() { Ingress = [new V1LoadBalancerIngress { Ip = address, IpMode = "VIP" }] };
}
