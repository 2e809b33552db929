using Grainetes.NodeAgent.Runtime;

namespace Grainetes.NodeAgent.Metrics;

/// <summary>
/// Turns cumulative cpu counters into rates between two readings, per container and for the host, as cAdvisor
/// does for the kubelet. A container seen for the first time is measured from its start (its counter began at
/// zero then), so a new pod has usage on the first pass instead of the second.
/// </summary>
public sealed class UsageRates
{
    private static readonly TimeSpan ShortestWindow = TimeSpan.FromMilliseconds(500);

    private readonly Dictionary<string, ContainerUsageSample> last = new(StringComparer.Ordinal);
    private HostUsageSample? lastHost;

    /// <summary>The container's cpu rate in nanocores and the window it covers; null until a window can be measured.</summary>
    public (long CpuNanoCores, TimeSpan Window)? Container(ContainerUsageSample sample, DateTimeOffset? startedAt)
    {
        var previous = last.GetValueOrDefault(sample.ContainerId);
        last[sample.ContainerId] = sample;
        if (previous is not null && sample.CpuNanoseconds >= previous.CpuNanoseconds)
        {
            return Rate(sample.CpuNanoseconds - previous.CpuNanoseconds, sample.At - previous.At);
        }

        return previous is null && startedAt is { } started ? Rate(sample.CpuNanoseconds, sample.At - started) : null;
    }

    /// <summary>The host's cpu rate in nanocores and the window it covers; null on the first reading.</summary>
    public (long CpuNanoCores, TimeSpan Window)? Host(HostUsageSample sample)
    {
        var previous = lastHost;
        lastHost = sample;
        return previous is not null && sample.BusyCpuNanoseconds >= previous.BusyCpuNanoseconds
            ? Rate(sample.BusyCpuNanoseconds - previous.BusyCpuNanoseconds, sample.At - previous.At)
            : null;
    }

    /// <summary>Forgets containers no longer running, so the table follows the host's containers.</summary>
    public void Retain(IReadOnlySet<string> containerIds)
    {
        foreach (var id in last.Keys.Where(id => !containerIds.Contains(id)).ToList())
        {
            last.Remove(id);
        }
    }

    private static (long, TimeSpan)? Rate(long cpuNanoseconds, TimeSpan window) =>
        window < ShortestWindow ? null : ((long)(cpuNanoseconds / window.TotalSeconds), window);
}
