using Grainetes.Machinery.Autoscaling;

namespace Grainetes.Machinery.Tests.Autoscaling;

/// <summary>The replica count one resource metric asks for, checked against Kubernetes' replica_calculator rules.</summary>
public sealed class ReplicaCalculatorTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly ReplicaCalculator calculator = new(new AutoscalerTuning());

    /// <summary>A pod running and ready for ten minutes, requesting <paramref name="requestMilli"/> of cpu.</summary>
    private static AutoscalingPod Running(string name, long? requestMilli = 100) =>
        new(name, "Running", false, Now.AddMinutes(-10), true, Now.AddMinutes(-10), requestMilli, requestMilli is null ? "web" : null);

    private static PodMetric Used(long milli) => new(milli, Now.AddSeconds(-5), TimeSpan.FromSeconds(10));

    private static Dictionary<string, PodMetric> Metrics(params (string Pod, long Milli)[] usage) =>
        usage.ToDictionary(u => u.Pod, u => Used(u.Milli));

    [Fact]
    public void Scales_to_the_ceiling_of_usage_over_target_times_the_ready_pods()
    {
        // 3 pods at 90% of 100m against a 50% target: ratio 1.8, ceil(1.8 × 3) = 6.
        var pods = new[] { Running("a"), Running("b"), Running("c") };
        var proposal = calculator.ForUtilization(3, 50, "cpu", pods, Metrics(("a", 90), ("b", 90), ("c", 90)), Now);
        Assert.Equal(6, proposal.Replicas);
        Assert.Equal(90, proposal.Utilization);
        Assert.Equal(90, proposal.AverageMilli);
    }

    [Theory]
    [InlineData(54, 3)] // ratio 1.08: within the 0.1 tolerance, no change although ceil(1.08 × 3) = 4
    [InlineData(46, 3)] // ratio 0.92: within tolerance, no change although ceil(0.92 × 3) = 3 anyway
    [InlineData(56, 4)] // ratio 1.12: outside, ceil(3.36) = 4
    [InlineData(20, 2)] // ratio 0.4: ceil(1.2) = 2
    public void Leaves_the_size_alone_while_usage_is_within_the_tolerance(long usedMilli, int expected)
    {
        var pods = new[] { Running("a"), Running("b"), Running("c") };
        var proposal = calculator.ForUtilization(3, 50, "cpu", pods, Metrics(("a", usedMilli), ("b", usedMilli), ("c", usedMilli)), Now);
        Assert.Equal(expected, proposal.Replicas);
    }

    [Fact]
    public void Utilization_is_an_integer_percent_of_the_summed_requests()
    {
        // (10 + 35) × 100 / (100 + 200) = 15 (integer division), ratio 15 / 50 = 0.3 → ceil(0.6) = 1.
        var pods = new[] { Running("a", 100), Running("b", 200) };
        var proposal = calculator.ForUtilization(2, 50, "cpu", pods, Metrics(("a", 10), ("b", 35)), Now);
        Assert.Equal(15, proposal.Utilization);
        Assert.Equal(1, proposal.Replicas);
    }

    [Fact]
    public void On_a_scale_down_pods_without_metrics_count_as_using_their_whole_request()
    {
        // Measured: a and b at 20% (ratio 0.4). Counting c at 100%: (20 + 20 + 100) / 3 = 46% → ratio 0.92, within tolerance.
        var pods = new[] { Running("a"), Running("b"), Running("c") };
        var proposal = calculator.ForUtilization(3, 50, "cpu", pods, Metrics(("a", 20), ("b", 20)), Now);
        Assert.Equal(3, proposal.Replicas);

        // Five pods, two measured at 0%, three missing: (0 + 0 + 300) / 5 = 60% → ratio 1.2 turns the direction around: no change.
        var five = new[] { Running("a"), Running("b"), Running("c"), Running("d"), Running("e") };
        Assert.Equal(5, calculator.ForUtilization(5, 50, "cpu", five, Metrics(("a", 0), ("b", 0)), Now).Replicas);
    }

    [Fact]
    public void On_a_scale_up_pods_without_metrics_count_as_idle()
    {
        // a and b at 200% (ratio 4); c and d missing count as 0: (200 + 200) / 4 = 100% → ratio 2, ceil(2 × 4) = 8.
        var pods = new[] { Running("a"), Running("b"), Running("c"), Running("d") };
        Assert.Equal(8, calculator.ForUtilization(4, 50, "cpu", pods, Metrics(("a", 200), ("b", 200)), Now).Replicas);
    }

    [Fact]
    public void On_a_scale_up_unready_pods_count_as_idle_and_pending_pods_as_unready()
    {
        var notReady = Running("b") with { Ready = false, ReadyTransition = Now.AddMinutes(-10) };
        var pending = new AutoscalingPod("c", "Pending", false, null, null, null, 100);
        var pods = new[] { Running("a"), notReady, pending };

        // a at 150% (ratio 3); b and c count as 0: 150 / 3 = 50% → ratio 1, within tolerance: stays at 3.
        Assert.Equal(3, calculator.ForUtilization(3, 50, "cpu", pods, Metrics(("a", 150), ("b", 150)), Now).Replicas);

        // a at 300%: (300 + 0 + 0) / 3 = 100% → ratio 2, ceil(2 × 3) = 6.
        Assert.Equal(6, calculator.ForUtilization(3, 50, "cpu", pods, Metrics(("a", 300)), Now).Replicas);
    }

    [Fact]
    public void Deleted_and_failed_pods_are_ignored()
    {
        var pods = new[] { Running("a"), Running("b") with { Deleting = true }, Running("c") with { Phase = "Failed" } };
        var proposal = calculator.ForUtilization(3, 50, "cpu", pods, Metrics(("a", 100), ("b", 500), ("c", 500)), Now);
        Assert.Equal(2, proposal.Replicas); // only a: ratio 2 × 1 ready pod
    }

    [Fact]
    public void A_young_pods_cpu_sample_counts_only_once_its_window_began_after_it_became_ready()
    {
        var young = new AutoscalingPod("a", "Running", false, Now.AddMinutes(-1), true, Now.AddSeconds(-20), 100);

        // The sample's 30 s window began before readiness (start-up cpu): the pod is unready and nothing else has metrics.
        var early = new Dictionary<string, PodMetric> { ["a"] = new(200, Now, TimeSpan.FromSeconds(30)) };
        var ex = Assert.Throws<ReplicaCalculationException>(() => calculator.ForUtilization(1, 50, "cpu", [young], early, Now));
        Assert.Equal("did not receive metrics for targeted pods (pods might be unready)", ex.Message);

        // A 10 s window that began after readiness counts.
        var later = new Dictionary<string, PodMetric> { ["a"] = new(200, Now, TimeSpan.FromSeconds(10)) };
        Assert.Equal(4, calculator.ForUtilization(1, 50, "cpu", [young], later, Now).Replicas);
    }

    [Fact]
    public void Failures_carry_Kubernetes_messages()
    {
        var noMetrics = Assert.Throws<ReplicaCalculationException>(() => calculator.ForUtilization(1, 50, "cpu", [Running("a")], Metrics(), Now));
        Assert.Equal("unable to get metrics for resource cpu: no metrics returned from resource metrics API", noMetrics.Message);

        var noRequest = Assert.Throws<ReplicaCalculationException>(() => calculator.ForUtilization(1, 50, "cpu", [Running("a", null)], Metrics(("a", 10)), Now));
        Assert.Equal("missing request for cpu in container web of Pod a", noRequest.Message);

        var noPods = Assert.Throws<ReplicaCalculationException>(() => calculator.ForUtilization(1, 50, "cpu", [], Metrics(("a", 10)), Now));
        Assert.Equal("no pods returned by selector while calculating replica count", noPods.Message);
    }

    [Fact]
    public void An_average_value_target_needs_no_requests()
    {
        // Memory in thousandths: pods average 300 Mi against a 100 Mi target → ratio 3, ceil(3 × 2) = 6.
        const long mi = 1024L * 1024 * 1000;
        var pods = new[] { Running("a", null), Running("b", null) };
        var proposal = calculator.ForAverageValue(2, 100 * mi, "memory", pods, Metrics(("a", 200 * mi), ("b", 400 * mi)), Now);
        Assert.Equal(6, proposal.Replicas);
        Assert.Null(proposal.Utilization);
        Assert.Equal(300 * mi, proposal.AverageMilli);

        // A missing pod on a scale-down counts as exactly the target: (20 + 20 + 100) / 3 ≈ 46.7 → ratio 0.47 → ceil(1.4) = 2.
        var three = new[] { Running("a", null), Running("b", null), Running("c", null) };
        Assert.Equal(2, calculator.ForAverageValue(3, 100 * mi, "memory", three, Metrics(("a", 20 * mi), ("b", 20 * mi)), Now).Replicas);
    }
}
