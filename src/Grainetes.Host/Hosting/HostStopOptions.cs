namespace Grainetes.Host.Hosting;

/// <summary>How long a stopping host may take. Bound from the <c>Shutdown</c> section.</summary>
public sealed class HostStopOptions
{
    public const string SectionName = "Shutdown";

    /// <summary>
    /// The graceful phase with a reachable store: the silo marks its membership row Dead and hands its grains off.
    /// Past it the silo stops ungracefully, which loses nothing acknowledged (every write commits on the request path).
    /// </summary>
    public TimeSpan GracefulTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The graceful phase when the store does not answer: every membership or reminder write would only be retried
    /// until the budget ran out, so the silo gets just long enough to close its connections.
    /// </summary>
    public TimeSpan UnreachableStoreTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After the graceful phase, how long the ungraceful stop may take before the process ends without it; only a
    /// store that stopped answering mid-stop gets this far.
    /// </summary>
    public TimeSpan UngracefulTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long the one request that tells whether the store answers may take.</summary>
    public TimeSpan StoreProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
