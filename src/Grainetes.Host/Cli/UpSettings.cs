namespace Grainetes.Host.Cli;

/// <summary>What <c>grainetes up</c> was asked to do.</summary>
public sealed record UpSettings
{
    public required string Home { get; init; }

    public int ApiPort { get; init; } = 6443;

    /// <summary>Azure Table connection string; null starts a private Azurite under <see cref="Home"/>.</summary>
    public string? Storage { get; init; }

    public int SiloPort { get; init; } = 11111;

    public int GatewayPort { get; init; } = 30000;

    /// <summary>Export traces, metrics and logs to the console (the default; <c>--otel-console false</c> turns it off).</summary>
    public bool OtelConsole { get; init; } = true;

    public string ClusterId { get; init; } = "grainetes";

    /// <summary>Container runtime: <c>auto</c> (Docker when a daemon answers), <c>docker</c> or <c>process</c>.</summary>
    public string Runtime { get; init; } = "auto";

    public TimeSpan NodeMonitorGracePeriod { get; init; } = TimeSpan.FromSeconds(40);

    public TimeSpan PodEvictionTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>The node this host registers as; null means the host name.</summary>
    public string? NodeName { get; init; }

    /// <summary>Plain HTTP, no authentication: every client is the admin. For tests only.</summary>
    public bool InsecureHttp { get; init; }

    /// <summary>Kubernetes' <c>--token-auth-file</c>.</summary>
    public string? TokenAuthFile { get; init; }

    /// <summary>This host's address for the other hosts (silo endpoint, extra API listen address); null means 127.0.0.1.</summary>
    public string? AdvertiseAddress { get; init; }

    /// <summary>Where a private Azurite listens, and so the address the join command names.</summary>
    public string AzuriteHost { get; init; } = "127.0.0.1";

    /// <summary>The secret <c>join</c> was given; null for <c>up</c>, which keeps (or makes) its own.</summary>
    public string? ClusterSecret { get; init; }
}
