namespace Grainetes.Abstractions.Store;

/// <summary>
/// What one long poll of a kind's change log returns: the events after the asked version, in order,
/// or <see cref="Gone"/> when that version has been compacted away (the client must list again).
/// </summary>
[GenerateSerializer, Immutable, Alias("grainetes.WatchBatch")]
public sealed record WatchBatch(
    [property: Id(0)] IReadOnlyList<ChangeEvent> Events,
    [property: Id(1)] long LatestResourceVersion,
    [property: Id(2)] bool Gone,
    [property: Id(3)] long OldestResourceVersion);
