using System.Text.Json.Nodes;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>Everything <see cref="PodStatusBuilder"/> folds into a pod status besides the pod itself.</summary>
public sealed record PodStatusInput
{
    /// <summary><c>docker</c> or <c>process</c>: the scheme of container ids in status.</summary>
    public required string RuntimeName { get; init; }

    public required string HostIP { get; init; }

    public required DateTimeOffset Now { get; init; }

    public string? PodIP { get; init; }

    public DateTimeOffset? StartTime { get; init; }

    /// <summary>Whether the sandbox exists (the <c>PodReadyToStartContainers</c> condition).</summary>
    public bool SandboxReady { get; init; }

    public IReadOnlyList<ContainerView> InitContainers { get; init; } = [];

    public IReadOnlyList<ContainerView> Containers { get; init; } = [];

    /// <summary>The status reported last (or the pod's current one): conditions keep their transition times, and a terminal phase stays.</summary>
    public JsonObject? PreviousStatus { get; init; }
}
