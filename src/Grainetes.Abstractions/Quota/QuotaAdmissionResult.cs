namespace Grainetes.Abstractions.Quota;

/// <summary>What admission decided: a refusal (the text after <c>is forbidden: </c>) or the object to store.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.QuotaAdmissionResult")]
public sealed record QuotaAdmissionResult
{
    [Id(0)] public string? Refusal { get; init; }

    /// <summary>The object with LimitRange defaults applied; null when admission left it as it was.</summary>
    [Id(1)] public string? Json { get; init; }
}
