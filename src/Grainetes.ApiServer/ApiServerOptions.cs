namespace Grainetes.ApiServer;

/// <summary>Limits and timings of the API server. Bound from the <c>ApiServer</c> section.</summary>
public sealed class ApiServerOptions
{
    public const string SectionName = "ApiServer";

    /// <summary>Largest request body accepted (Kubernetes' own limit is 3 MiB).</summary>
    public long MaxBodyBytes { get; set; } = 3 * 1024 * 1024;

    /// <summary>How long one long poll of a kind's log waits before a watch checks its deadline and bookmarks.</summary>
    public TimeSpan WatchPollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest a watch stays open when the client sets no <c>timeoutSeconds</c>.</summary>
    public TimeSpan MaxWatchDuration { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The address clients should use, advertised in discovery.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1:6443";
}
