namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Removes or orphans the dependents of a deleted owner (<c>ownerReferences</c>), as Kubernetes' garbage
/// collector does. Keyed by the owner's namespace (empty for cluster-scoped owners).
/// </summary>
public interface IGarbageCollectorGrain : IGrainWithStringKey
{
    /// <summary>An owner was deleted (or is being deleted in the foreground) with the given propagation policy.</summary>
    [OneWay]
    Task OwnerDeleted(string ownerResource, string ownerName, string ownerUid, string propagationPolicy);
}
