namespace Grainetes.Abstractions.Store;

/// <summary>How a write treats the object: which subresource it targets, who makes it, and whether it is a dry run.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.WriteOptions")]
public sealed record WriteOptions
{
    /// <summary>Empty for the main resource, else <c>status</c> or <c>scale</c>.</summary>
    [Id(0)] public string Subresource { get; init; } = "";

    [Id(1)] public string? FieldManager { get; init; }

    [Id(2)] public bool DryRun { get; init; }

    /// <summary>For PATCH: the patch's media type (merge, strategic merge, JSON patch, apply).</summary>
    [Id(3)] public string? PatchType { get; init; }

    /// <summary>For server-side apply: take over fields other managers own.</summary>
    [Id(4)] public bool Force { get; init; }

    public static WriteOptions Default { get; } = new();
}
