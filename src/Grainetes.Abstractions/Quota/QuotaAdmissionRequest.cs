namespace Grainetes.Abstractions.Quota;

/// <summary>One write as quota admission sees it.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.QuotaAdmissionRequest")]
public sealed record QuotaAdmissionRequest
{
    /// <summary>The object's kind, as its storage key (<c>pods</c>, <c>deployments.apps</c>).</summary>
    [Id(0)] public required string StorageKey { get; init; }

    [Id(1)] public required string Uid { get; init; }

    /// <summary>What the object about to be stored charges (<c>QuotaUsage.Of</c>).</summary>
    [Id(2)] public required IReadOnlyDictionary<string, decimal> Usage { get; init; }

    /// <summary>What the stored object an update replaces charges; null on a create.</summary>
    [Id(3)] public IReadOnlyDictionary<string, decimal>? PreviousUsage { get; init; }

    /// <summary>Check, but hold nothing.</summary>
    [Id(4)] public bool DryRun { get; init; }

    /// <summary>The pod itself, for LimitRange defaults and the must-specify rule; null for other kinds, which need only their usage.</summary>
    [Id(5)] public string? PodJson { get; init; }
}
