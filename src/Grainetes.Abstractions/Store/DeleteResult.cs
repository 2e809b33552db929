namespace Grainetes.Abstractions.Store;

/// <summary>The object as a delete left it, and whether it is gone now or only marked (finalizers pending).</summary>
[GenerateSerializer, Immutable, Alias("grainetes.DeleteResult")]
public sealed record DeleteResult(
    [property: Id(0)] string Json,
    [property: Id(1)] bool Removed);
