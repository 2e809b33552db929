namespace Grainetes.Abstractions.Store;

/// <summary>
/// One committed change of one object: the unit of the per-kind change log and of watches.
/// <see cref="Json"/> is the object as stored after the change (for a deletion, as it was last, with the
/// deletion's resource version). <see cref="TraceParent"/> is the W3C trace context of the write, so whoever the
/// change wakes (controllers, the scheduler, node agents) continues the writer's trace; it lives only in memory
/// and is never logged, so changes read back from the log table have none.
/// </summary>
[GenerateSerializer, Immutable, Alias("grainetes.ChangeEvent")]
public sealed record ChangeEvent(
    [property: Id(0)] long ResourceVersion,
    [property: Id(1)] WatchEventType Type,
    [property: Id(2)] string Namespace,
    [property: Id(3)] string Name,
    [property: Id(4)] string Json,
    [property: Id(5)] string? TraceParent = null);
