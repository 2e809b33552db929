namespace Grainetes.NodeAgent;

/// <summary>This host's node agent settings. Bound from the <c>NodeAgent</c> section; the CLI sets the name and runtime.</summary>
public sealed class NodeAgentOptions
{
    public const string SectionName = "NodeAgent";

    /// <summary>The node this silo runs (also the silo's name, which pins the agent grain here).</summary>
    public string NodeName { get; set; } = "";

    /// <summary>This host's address for <c>status.hostIP</c>; empty means detect it.</summary>
    public string HostIP { get; set; } = "";

    /// <summary>How often the node's Lease is renewed (Kubernetes: 10 s).</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The lease's duration (Kubernetes: 40 s).</summary>
    public int LeaseDurationSeconds { get; set; } = 40;

    /// <summary>How often the Ready condition's heartbeat is written when nothing else changes.</summary>
    public TimeSpan StatusUpdateInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Long-poll wait when following pod changes.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);
}
