using System.Text.Json.Nodes;
using Grainetes.NodeAgent.Runtime;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>The worker's memory of one container name of a pod: its runtime instances, back-offs and probes.</summary>
internal sealed class ContainerRecord(string name, bool isInit)
{
    public string Name { get; } = name;

    public bool IsInit { get; } = isInit;

    public string FieldPath => IsInit ? $"spec.initContainers{{{Name}}}" : $"spec.containers{{{Name}}}";

    /// <summary>The newest instance.</summary>
    public ContainerState? Current { get; set; }

    /// <summary>The instance before <see cref="Current"/>, kept for <c>logs --previous</c> and <c>lastState</c>.</summary>
    public ContainerState? Previous { get; set; }

    public string? WaitingReason { get; set; }

    public string? WaitingMessage { get; set; }

    /// <summary>The restart delay last applied; doubles per crash.</summary>
    public TimeSpan? BackoffDelay { get; set; }

    public DateTimeOffset? RestartNotBefore { get; set; }

    /// <summary>The exited instance the current back-off was computed for, so that it is computed once per crash.</summary>
    public string? BackoffFor { get; set; }

    public bool BackoffEventRecorded { get; set; }

    /// <summary>Set when the container was killed to apply a new spec: it restarts without back-off.</summary>
    public bool RestartNow { get; set; }

    /// <summary>The spec's image changed since the current instance was started.</summary>
    public bool ImageChanged { get; set; }

    public TimeSpan? PullDelay { get; set; }

    public DateTimeOffset? PullNotBefore { get; set; }

    public bool PullBackoffEventRecorded { get; set; }

    /// <summary>The last configuration error an event was recorded for, so a lasting error is recorded once.</summary>
    public string? LastConfigError { get; set; }

    /// <summary>The instance the probes below belong to.</summary>
    public string? ProbesFor { get; set; }

    public ProbeTracker? Startup { get; set; }

    public ProbeTracker? Liveness { get; set; }

    public ProbeTracker? Readiness { get; set; }

    public bool Started { get; set; }

    public bool Ready { get; set; }

    public bool StopSent { get; set; }

    public int NextAttempt => Math.Max(Current?.Attempt ?? -1, Previous?.Attempt ?? -1) + 1;

    /// <summary>Whether the current instance has exited and is waiting (or about to be) restarted: then it is what <c>lastState</c> shows.</summary>
    public bool AwaitingRestart { get; set; }

    public JsonObject? Spec { get; set; }
}
