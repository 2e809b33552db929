namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>
/// What the process runtime persists per container (<c>container.json</c>), so that a restarted silo finds its
/// containers, tells a live process from a reused pid, and can exec with the container's environment.
/// </summary>
internal sealed record ProcessContainerRecord
{
    public required string ContainerId { get; init; }

    public required string PodUid { get; init; }

    public required string Namespace { get; init; }

    public required string PodName { get; init; }

    public required string ContainerName { get; init; }

    public int Attempt { get; init; }

    public bool IsInit { get; init; }

    public required string Image { get; init; }

    public required IReadOnlyList<string> CommandLine { get; init; }

    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    public required string WorkingDirectory { get; init; }

    public long MemoryLimitBytes { get; init; }

    /// <summary>Whether the main process reads a named pipe (<c>stdin</c> in its directory) that attach writes to.</summary>
    public bool Stdin { get; init; }

    /// <summary>Symlinks this container made for its mounts (host path of the link), removed with the container.</summary>
    public IReadOnlyList<string> MountLinks { get; init; } = [];

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>The launcher shell that waits for the process and writes its exit code.</summary>
    public int? LauncherPid { get; init; }

    /// <summary>The launcher's start time in clock ticks since boot (<c>/proc/pid/stat</c> field 22), against pid reuse.</summary>
    public long? LauncherStartTicks { get; init; }

    /// <summary>The container's main process; also its process group and session id.</summary>
    public int? Pid { get; init; }

    public long? PidStartTicks { get; init; }
}
