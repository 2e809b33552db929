namespace Grainetes.NodeAgent.Metrics;

/// <summary>How the node agent measures usage for the Metrics API. Bound from the <c>Metrics</c> section.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>How often containers and the host are sampled (the kubelet's housekeeping runs every 10 s).</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many sampling periods a report stays valid: a node that stops reporting stops being served after that.</summary>
    public int ValidPeriods { get; set; } = 3;
}
