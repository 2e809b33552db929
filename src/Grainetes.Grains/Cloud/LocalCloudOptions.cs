namespace Grainetes.Grains.Cloud;

/// <summary>The local cloud provider's settings (configuration section <c>Cloud:Local</c>).</summary>
public sealed class LocalCloudOptions
{
    public const string SectionName = "Cloud:Local";

    /// <summary>
    /// Where LoadBalancer addresses come from. It must lie in 127.0.0.0/8: Linux answers the whole block on the
    /// loopback interface, so every address can be bound without configuring one, and none is reachable off the host.
    /// </summary>
    public string AddressRange { get; set; } = "127.240.0.0/16";

    /// <summary>How old an address no LoadBalancer service names must be before the repair loop frees it.</summary>
    public TimeSpan RepairGracePeriod { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often the repair loop runs while any address is held.</summary>
    public TimeSpan RepairPeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the forwarder waits between retries of a listener it could not open.</summary>
    public TimeSpan ListenRetryPeriod { get; set; } = TimeSpan.FromSeconds(10);
}
