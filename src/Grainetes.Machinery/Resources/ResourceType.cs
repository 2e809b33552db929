namespace Grainetes.Machinery.Resources;

/// <summary>
/// One REST resource the API serves (for example <c>apps/v1 deployments</c>): everything the
/// generic storage, discovery, OpenAPI and Table printing need to know about a kind.
/// </summary>
public sealed record ResourceType
{
    /// <summary>API group; empty for the core ("legacy") group.</summary>
    public required string Group { get; init; }

    public required string Version { get; init; }

    public required string Kind { get; init; }

    /// <summary>Lower-case plural used in URLs, for example <c>pods</c>.</summary>
    public required string Plural { get; init; }

    public required string Singular { get; init; }

    public required bool Namespaced { get; init; }

    /// <summary>The <c>k8s.Models</c> type that is this kind's schema.</summary>
    public required Type ModelType { get; init; }

    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Whether the kind has a <c>/status</c> subresource (then the main resource ignores status writes).</summary>
    public bool HasStatus { get; init; }

    /// <summary>Whether the kind has a <c>/scale</c> subresource backed by <c>spec.replicas</c>.</summary>
    public bool HasScale { get; init; }

    /// <summary>Whether a change of <c>spec</c> bumps <c>metadata.generation</c>.</summary>
    public bool TracksGeneration { get; init; }

    /// <summary>
    /// The apiVersion whose form the store keeps when this version is served by conversion (autoscaling/v1
    /// HorizontalPodAutoscalers are stored as autoscaling/v2); null when this version is the stored one.
    /// </summary>
    public string? StoredAs { get; init; }

    /// <summary>False for kinds computed on request rather than stored (the Metrics API's PodMetrics and NodeMetrics).</summary>
    public bool Stored { get; init; } = true;

    /// <summary>The verbs discovery advertises; null for the full set of a stored kind.</summary>
    public IReadOnlyList<string>? Verbs { get; init; }

    /// <summary>Whether objects of this kind are kept in the store in this version's form (one type per storage key).</summary>
    public bool IsStorageVersion => Stored && StoredAs is null;

    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string GroupVersion => ApiVersion;

    public string ListKind => Kind + "List";

    /// <summary>Stable key of the kind's storage: <c>pods</c>, <c>deployments.apps</c>.</summary>
    public string StorageKey => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
}
