namespace Grainetes.NodeAgent.Kubelet;

/// <summary>The timings of a pod worker; the defaults are the kubelet's. Bound from the <c>Kubelet</c> section.</summary>
public sealed record KubeletOptions
{
    public const string SectionName = "Kubelet";

    /// <summary>How often a worker re-syncs when nothing wakes it (container exits are only seen by polling).</summary>
    public TimeSpan SyncPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The restart delay after a container's second exit in a row; doubles on each later one. The first exit restarts
    /// at once, as the kubelet's back-off does.
    /// </summary>
    public TimeSpan BackoffBase { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan BackoffCap { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A container that ran this long before exiting restarts with the base delay again.</summary>
    public TimeSpan BackoffResetAfter { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Used when neither the deletion nor the spec names a grace period.</summary>
    public TimeSpan DefaultGracePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the files of Secret, ConfigMap and projected volumes are compared with their objects and refreshed
    /// (Kubernetes refreshes them eventually too; subPath mounts of them are not refreshed).
    /// </summary>
    public TimeSpan VolumeRefreshPeriod { get; init; } = TimeSpan.FromSeconds(10);
}
