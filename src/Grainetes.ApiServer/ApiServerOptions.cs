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

    /// <summary>Requests one user may have in flight at once (watches aside); more get 429 with Retry-After.</summary>
    public int MaxRequestsInFlightPerUser { get; set; } = 100;

    /// <summary>Watches one user may hold open at once; more get 429.</summary>
    public int MaxWatchesPerUser { get; set; } = 500;

    /// <summary>Longest a request other than a watch or a stream may take (Kubernetes' <c>--request-timeout</c>); then 504.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
