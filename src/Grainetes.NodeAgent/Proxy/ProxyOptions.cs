namespace Grainetes.NodeAgent.Proxy;

/// <summary>Settings of this host's service proxy (its kube-proxy). Bound from the <c>Proxy</c> section.</summary>
public sealed class ProxyOptions
{
    public const string SectionName = "Proxy";

    /// <summary>Whether this silo proxies services at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The port other hosts' proxies reach this host's pods through (the relay); 0 takes a free port, published in
    /// the node's <c>grainetes.io/proxy-relay-port</c> annotation.
    /// </summary>
    public int RelayPort { get; set; }

    /// <summary>Upper bound of connecting to one endpoint before the next is tried.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How many endpoints one connection tries before it is given up (reset).</summary>
    public int ConnectAttempts { get; set; } = 3;

    /// <summary>Long-poll wait when following services, endpoint slices and nodes.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often listeners that could not bind and the cluster-IP route are tried again.</summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(10);
}
