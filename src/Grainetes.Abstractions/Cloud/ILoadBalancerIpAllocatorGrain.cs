namespace Grainetes.Abstractions.Cloud;

/// <summary>
/// The local cloud provider's address book, keyed <c>default</c>: one loopback address per LoadBalancer service
/// (<c>namespace/name</c>), persisted before it is answered and handed out in serialized turns, so two services
/// never share one and a restart keeps every service on its address.
/// </summary>
public interface ILoadBalancerIpAllocatorGrain : IGrainWithStringKey
{
    /// <summary>
    /// The service's address: the one it holds, or <paramref name="requested"/> when given and free (moving
    /// the service to it), else the next free one. A refused request leaves what the service held.
    /// </summary>
    Task<LoadBalancerAllocation> Allocate(string owner, string uid, string? requested);

    /// <summary>The address the service's incarnation holds, or null.</summary>
    [AlwaysInterleave]
    Task<string?> Lookup(string owner, string uid);

    /// <summary>Frees what the service holds; an empty <paramref name="uid"/> frees whatever incarnation holds it.</summary>
    Task Release(string owner, string uid);

    /// <summary>
    /// Frees addresses whose service is gone or no longer a LoadBalancer (after a grace period) and takes back
    /// those that services' status names but the book lost. Also run by a reminder.
    /// </summary>
    Task Repair();

    /// <summary>Every held address with its service, for diagnostics and tests.</summary>
    [AlwaysInterleave]
    Task<IReadOnlyDictionary<string, string>> Snapshot();
}
