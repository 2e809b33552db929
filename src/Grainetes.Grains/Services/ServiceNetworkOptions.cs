namespace Grainetes.Grains.Services;

/// <summary>
/// Where service addresses come from. The default service range is the top sixteenth
/// (<c>10.244.240.0/20</c>, 4,094 addresses) of the default pod bridge subnet <c>10.244.0.0/16</c>: a cluster
/// address then lies inside the host's own bridge network and is never routed off the host, even when a
/// proxy rule is missing (docs/DESIGN: Networking). Pod subnets must leave this part out.
/// </summary>
public sealed class ServiceNetworkOptions
{
    /// <summary>The range ClusterIPs are allocated from (Kubernetes' <c>--service-cluster-ip-range</c>).</summary>
    public string ServiceCidr { get; set; } = "10.244.240.0/20";

    /// <summary>The lowest NodePort (Kubernetes' <c>--service-node-port-range</c>).</summary>
    public int NodePortMin { get; set; } = 30000;

    /// <summary>The highest NodePort.</summary>
    public int NodePortMax { get; set; } = 32767;

    /// <summary>
    /// How old a holding must be before the repair loop frees it for want of a service naming it: longer
    /// than any create takes between allocating and committing.
    /// </summary>
    public TimeSpan RepairGracePeriod { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the repair loop runs while anything is allocated.</summary>
    public TimeSpan RepairPeriod { get; set; } = TimeSpan.FromMinutes(5);
}
