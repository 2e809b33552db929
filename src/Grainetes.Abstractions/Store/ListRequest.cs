namespace Grainetes.Abstractions.Store;

/// <summary>A list of one kind: namespace (null for all), selectors, and chunking.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.ListRequest")]
public sealed record ListRequest
{
    [Id(0)] public string? Namespace { get; init; }

    [Id(1)] public string? LabelSelector { get; init; }

    [Id(2)] public string? FieldSelector { get; init; }

    /// <summary>Maximum items to return; 0 for all.</summary>
    [Id(3)] public int Limit { get; init; }

    /// <summary>The continue token of the previous chunk.</summary>
    [Id(4)] public string? Continue { get; init; }
}
