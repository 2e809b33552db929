namespace Grainetes.Abstractions.Quota;

/// <summary>One write as quota admission sees it.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.QuotaAdmissionRequest")]
public sealed record QuotaAdmissionRequest
{
    /// <summary>The object's kind, as its storage key (<c>pods</c>, <c>deployments.apps</c>).</summary>
    [Id(0)] public required string StorageKey { get; init; }

    [Id(1)] public required string Uid { get; init; }

    /// <summary>The object about to be stored.</summary>
    [Id(2)] public required string Json { get; init; }

    /// <summary>The stored object an update replaces; null on a create.</summary>
    [Id(3)] public string? PreviousJson { get; init; }

    /// <summary>Check, but hold nothing.</summary>
    [Id(4)] public bool DryRun { get; init; }
}
