namespace Grainetes.NodeAgent.Runtime;

/// <summary>
/// One container to create, with everything resolved: the command line (Kubernetes' command/args
/// over the image's entrypoint), the environment, mounts, ports and resource limits.
/// </summary>
public sealed record ContainerSpec
{
    public required string PodUid { get; init; }

    public required string Namespace { get; init; }

    public required string PodName { get; init; }

    public required string ContainerName { get; init; }

    /// <summary>How many times this container has been started before (0 the first time); part of its identity.</summary>
    public int Attempt { get; init; }

    public required string Image { get; init; }

    /// <summary>Kubernetes <c>command</c> (replaces the image entrypoint) — null keeps the image's.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>Kubernetes <c>args</c> (replaces the image cmd) — null keeps the image's.</summary>
    public IReadOnlyList<string>? Args { get; init; }

    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    public string? WorkingDir { get; init; }

    public IReadOnlyList<PortMapping> Ports { get; init; } = [];

    public IReadOnlyList<VolumeMount> Mounts { get; init; } = [];

    /// <summary>CPU limit in millicores (0 = none).</summary>
    public long CpuLimitMillis { get; init; }

    /// <summary>CPU request in millicores, as relative weight (0 = default).</summary>
    public long CpuRequestMillis { get; init; }

    /// <summary>Memory limit in bytes (0 = none).</summary>
    public long MemoryLimitBytes { get; init; }

    /// <summary>Whether the container is an init container (for labels and listing).</summary>
    public bool IsInit { get; init; }

    public bool Tty { get; init; }

    public bool Stdin { get; init; }

    /// <summary>Docker closes the container's stdin when the first attached client detaches.</summary>
    public bool StdinOnce { get; init; }
}
