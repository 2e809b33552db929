namespace Grainetes.Grains.Storage;

/// <summary>The durable bookkeeping of one kind's log: what was reserved, indexed and compacted.</summary>
/// <param name="ReservedUpTo">Resource versions up to this one may have been handed out.</param>
/// <param name="IndexedUpTo">Every logged change up to this version is in the index.</param>
/// <param name="CompactedBelow">Log entries below this version were deleted; watches from before it get 410.</param>
public sealed record KindMetadata(long ReservedUpTo, long IndexedUpTo, long CompactedBelow)
{
    public static KindMetadata Empty { get; } = new(0, 0, 0);
}
