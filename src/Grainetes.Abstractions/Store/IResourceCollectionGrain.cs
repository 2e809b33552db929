namespace Grainetes.Abstractions.Store;

/// <summary>
/// Everything of one kind, keyed by the kind's storage key (<c>pods</c>): hands out resource versions,
/// keeps the durable ordered change log and index, answers lists from memory and feeds watches.
/// </summary>
public interface IResourceCollectionGrain : IGrainWithStringKey
{
    /// <summary>Reserves the next resource version for a write that is about to commit.</summary>
    Task<long> Reserve();

    /// <summary>
    /// Reports a committed write (its reserved version and the stored object). Completes once the change
    /// is durable in the change log, so an acknowledged write is always in the log.
    /// </summary>
    Task Committed(ChangeEvent change);

    /// <summary>Gives back a reserved version whose write did not commit.</summary>
    Task Abandon(long resourceVersion);

    /// <summary>
    /// Called by an object grain on activation with what it has stored: if the log does not know that
    /// version (the silo died between the object's write and its log entry), the object must be logged anew.
    /// </summary>
    Task<bool> IsKnown(string @namespace, string name, long resourceVersion);

    /// <summary>The logged form of an object, or null when the log says it does not exist.</summary>
    Task<string?> Cached(string @namespace, string name);

    /// <summary>Objects whose <c>ownerReferences</c> name the owner's uid, as <c>namespace/name</c>.</summary>
    Task<IReadOnlyList<string>> Dependents(string ownerUid);

    Task<ListResult> List(ListRequest request);

    /// <summary>Names of the objects in a namespace (all namespaces when null, then as <c>namespace/name</c>), for controllers.</summary>
    Task<IReadOnlyList<string>> Names(string? @namespace);

    /// <summary>Long poll: the events after <paramref name="afterResourceVersion"/>, waiting up to <paramref name="maxWait"/> for one.</summary>
    Task<WatchBatch> Poll(long afterResourceVersion, string? @namespace, TimeSpan maxWait);

    /// <summary>The latest resource version whose change is durable and visible.</summary>
    Task<long> CurrentResourceVersion();
}
