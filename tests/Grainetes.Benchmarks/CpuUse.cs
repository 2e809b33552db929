namespace Grainetes.Benchmarks;

/// <summary>CPU seconds (user + system) the host and Azurite used over some interval.</summary>
public sealed record CpuUse(double HostSeconds, double AzuriteSeconds)
{
    public static CpuUse operator -(CpuUse after, CpuUse before) =>
        new(after.HostSeconds - before.HostSeconds, after.AzuriteSeconds - before.AzuriteSeconds);
}
