namespace Grainetes.Abstractions.Store;

/// <summary>The parts of Kubernetes' DeleteOptions that the store acts on.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.DeleteOptions")]
public sealed record DeleteOptions
{
    /// <summary>Orphan, Background or Foreground; null means the kind's default (Background).</summary>
    [Id(0)] public string? PropagationPolicy { get; init; }

    [Id(1)] public string? PreconditionUid { get; init; }

    [Id(2)] public string? PreconditionResourceVersion { get; init; }

    [Id(3)] public long? GracePeriodSeconds { get; init; }

    [Id(4)] public bool DryRun { get; init; }

    public static DeleteOptions Default { get; } = new();
}
