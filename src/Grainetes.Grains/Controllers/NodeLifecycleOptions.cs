namespace Grainetes.Grains.Controllers;

/// <summary>Node health timings, named as kube-controller-manager names them. Bound from the <c>NodeLifecycle</c> section.</summary>
public sealed class NodeLifecycleOptions
{
    public const string SectionName = "NodeLifecycle";

    /// <summary>How long a node's lease may go unrenewed before the node is <c>Ready=Unknown</c> (<c>--node-monitor-grace-period</c>).</summary>
    public TimeSpan NodeMonitorGracePeriod { get; set; } = TimeSpan.FromSeconds(40);

    /// <summary>How long pods stay on an unreachable node before they are evicted (<c>--pod-eviction-timeout</c>).</summary>
    public TimeSpan PodEvictionTimeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>How often nodes are checked (<c>--node-monitor-period</c>).</summary>
    public TimeSpan NodeMonitorPeriod { get; set; } = TimeSpan.FromSeconds(5);
}
