namespace Grainetes.NodeAgent.Runtime;

/// <summary>A container as the runtime sees it now, with the identity it was created with (from its labels).</summary>
public sealed record ContainerState
{
    public required string ContainerId { get; init; }

    public required string PodUid { get; init; }

    public required string Namespace { get; init; }

    public required string PodName { get; init; }

    public required string ContainerName { get; init; }

    public int Attempt { get; init; }

    public bool IsInit { get; init; }

    public required string Image { get; init; }

    /// <summary>The image's id or digest, for <c>imageID</c> in status.</summary>
    public string? ImageId { get; init; }

    public ContainerStatus Status { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public int? ExitCode { get; init; }

    /// <summary>Kubernetes reason for a terminated container: <c>Completed</c>, <c>Error</c>, <c>OOMKilled</c>.</summary>
    public string? Reason { get; init; }

    public string? Message { get; init; }
}
