namespace Grainetes.Abstractions.Store;

/// <summary>One chunk of a list: the items' JSON, the snapshot's resource version, and how to go on.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.ListResult")]
public sealed record ListResult(
    [property: Id(0)] IReadOnlyList<string> Items,
    [property: Id(1)] long ResourceVersion,
    [property: Id(2)] string? Continue,
    [property: Id(3)] long RemainingItemCount);
