namespace Grainetes.Tests.Cloud;

/// <summary>
/// A loopback /24 per test cluster, away from the default 127.240.0.0/16: clusters of parallel test runs (and a
/// developer's own host) on this machine then never ask for the same balancer address and port.
/// </summary>
internal static class LoopbackRanges
{
    public static string Next() => $"127.{Random.Shared.Next(241, 255)}.{Random.Shared.Next(0, 256)}.0/24";

    /// <summary>The address at <paramref name="offset"/> in a range from <see cref="Next"/>.</summary>
    public static string At(string range, int offset) => range[..range.LastIndexOf('.')] + "." + offset;
}
