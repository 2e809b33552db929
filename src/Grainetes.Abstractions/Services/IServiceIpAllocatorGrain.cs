namespace Grainetes.Abstractions.Services;

/// <summary>
/// Kubernetes' ClusterIP and NodePort allocators for the whole cluster, keyed <c>default</c>. Turns are
/// serialized and every change is persisted before it is answered, so two services never get the same
/// address and a restart never hands out a taken one. Holdings are per service (<c>namespace/name</c>).
/// </summary>
public interface IServiceIpAllocatorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Allocates what a service about to be written needs. With <see cref="ServiceAllocationRequest.Replace"/>
    /// (a create) the service's earlier holdings, left by a failed create or a lost release, are given up
    /// first; otherwise (an update) holdings are only added, and <see cref="Retain"/> frees the rest once
    /// the update is committed.
    /// </summary>
    Task<ServiceAllocationResult> Allocate(ServiceAllocationRequest request);

    /// <summary>After a committed write: frees what the service holds beyond the addresses and ports it names.</summary>
    Task Retain(string owner, string uid, string? clusterIP, IReadOnlyList<int> nodePorts);

    /// <summary>After the service is gone: frees everything it held (only if it is the incarnation named by <paramref name="uid"/>).</summary>
    Task Release(string owner, string uid);

    /// <summary>
    /// Kubernetes' repair loop: frees holdings of services that no longer exist or no longer name them
    /// (after a grace period, so an allocation whose write is in flight is kept) and takes back what
    /// existing services name but the allocator lost. Also run by a reminder.
    /// </summary>
    Task Repair();

    /// <summary>What is allocated, for diagnostics and tests.</summary>
    Task<ServiceAllocationSnapshot> Snapshot();
}
