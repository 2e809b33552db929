using Grainetes.NodeAgent.Runtime;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>What the worker knows of one container of a pod, as <see cref="PodStatusBuilder"/> needs it.</summary>
public sealed record ContainerView
{
    public required string Name { get; init; }

    /// <summary>The image the spec asks for (status shows it even before a container exists).</summary>
    public required string Image { get; init; }

    /// <summary>The newest runtime container for this name, if any.</summary>
    public ContainerState? Current { get; init; }

    /// <summary>The termination <c>lastState</c> shows: the previous instance, or the current one while it waits to restart.</summary>
    public ContainerState? LastTerminated { get; init; }

    public int RestartCount { get; init; }

    /// <summary>When set, the container shows as waiting with this reason whatever <see cref="Current"/> is (CrashLoopBackOff, ErrImagePull…).</summary>
    public string? WaitingReason { get; init; }

    public string? WaitingMessage { get; init; }

    public bool Ready { get; init; }

    public bool Started { get; init; }
}
