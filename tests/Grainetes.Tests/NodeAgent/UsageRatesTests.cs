using Grainetes.NodeAgent.Metrics;
using Grainetes.NodeAgent.Runtime;

namespace Grainetes.Tests.NodeAgent;

/// <summary>Cpu counters to rates, as the node agent's sampler computes them.</summary>
public sealed class UsageRatesTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_new_container_is_measured_from_its_start_then_between_readings()
    {
        var rates = new UsageRates();

        // 2 s of cpu in the 4 s since it started: half a core.
        var first = rates.Container(new ContainerUsageSample("c1", T0, 2_000_000_000, 1024), T0.AddSeconds(-4));
        Assert.Equal((500_000_000L, TimeSpan.FromSeconds(4)), first);

        // Then 1 s of cpu over the next 10 s: a tenth of a core.
        var second = rates.Container(new ContainerUsageSample("c1", T0.AddSeconds(10), 3_000_000_000, 1024), T0.AddSeconds(-4));
        Assert.Equal((100_000_000L, TimeSpan.FromSeconds(10)), second);
    }

    [Fact]
    public void Without_a_start_time_or_window_there_is_no_rate_yet()
    {
        var rates = new UsageRates();
        Assert.Null(rates.Container(new ContainerUsageSample("c1", T0, 5, 0), null));
        Assert.Null(rates.Container(new ContainerUsageSample("c1", T0.AddMilliseconds(100), 10, 0), null));
        Assert.Null(rates.Host(new HostUsageSample(T0, 1_000, 0)));
        Assert.Equal((2_000_000_000L, TimeSpan.FromSeconds(5)), rates.Host(new HostUsageSample(T0.AddSeconds(5), 10_000_001_000, 0)));
    }

    [Fact]
    public void A_forgotten_container_starts_over_and_a_counter_that_went_back_is_no_rate()
    {
        var rates = new UsageRates();
        rates.Container(new ContainerUsageSample("c1", T0, 1_000_000_000, 0), null);
        Assert.Null(rates.Container(new ContainerUsageSample("c1", T0.AddSeconds(10), 500_000_000, 0), null));
        rates.Retain(new HashSet<string>());
        Assert.Null(rates.Container(new ContainerUsageSample("c1", T0.AddSeconds(20), 600_000_000, 0), null));
    }

    [SkippableFact]
    public void The_host_reading_comes_from_proc()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "/proc is Linux's");
        var sample = HostUsageReader.Read(DateTimeOffset.UtcNow);
        Assert.NotNull(sample);
        Assert.True(sample.BusyCpuNanoseconds > 0 && sample.MemoryBytes > 0);
    }
}
