using Grainetes.Machinery.Autoscaling;

namespace Grainetes.Machinery.Tests.Autoscaling;

/// <summary>Stabilization windows, rate limits and bounds, after Kubernetes' horizontal.go normalization.</summary>
public sealed class AutoscalerHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(5);

    private static ScalingBehavior Behavior(int downWindowSeconds) =>
        new(ScalingRules.DefaultScaleUp, ScalingRules.DefaultScaleDown with { StabilizationWindowSeconds = downWindowSeconds });

    [Fact]
    public void Without_a_behavior_a_scale_down_waits_for_the_highest_recommendation_of_the_window_to_age_out()
    {
        var history = new AutoscalerHistory();
        history.Seed(4, T0);

        var held = history.Normalize(null, 1, 10, 4, 2, T0.AddMinutes(1), DefaultWindow);
        Assert.Equal(4, held.Replicas);
        Assert.Equal("ScaleDownStabilized", held.StabilizedReason);
        Assert.False(held.Limited);

        // Still inside the window of the seed (4).
        Assert.Equal(4, history.Normalize(null, 1, 10, 4, 2, T0.AddMinutes(4), DefaultWindow).Replicas);

        // The seed has aged out; the recommendations since were all 2.
        var down = history.Normalize(null, 1, 10, 4, 2, T0.AddMinutes(5).AddSeconds(1), DefaultWindow);
        Assert.Equal(2, down.Replicas);
        Assert.Equal("ReadyForNewScale", down.StabilizedReason);
    }

    [Fact]
    public void A_scale_up_is_not_stabilized_but_limited_to_doubling_without_a_behavior()
    {
        var history = new AutoscalerHistory();
        history.Seed(3, T0);
        var up = history.Normalize(null, 1, 20, 3, 10, T0.AddSeconds(15), DefaultWindow);
        Assert.Equal(6, up.Replicas);
        Assert.True(up.Limited);
        Assert.Equal("ScaleUpLimit", up.LimitedReason);

        var fromOne = history.Normalize(null, 1, 20, 1, 10, T0.AddSeconds(30), DefaultWindow);
        Assert.Equal(4, fromOne.Replicas); // at least 4 at a time
    }

    [Theory]
    [InlineData(0, 1, "TooFewReplicas")]
    [InlineData(9, 5, "TooManyReplicas")]
    [InlineData(3, 3, "DesiredWithinRange")]
    public void Bounds_clamp_and_say_why(int proposed, int expected, string reason)
    {
        var history = new AutoscalerHistory();
        history.Seed(proposed, T0);
        var result = history.Normalize(null, 1, 5, 5, proposed, T0, DefaultWindow);
        Assert.Equal(expected, result.Replicas);
        Assert.Equal(reason, result.LimitedReason);
        Assert.Equal(expected != proposed, result.Limited);
    }

    [Fact]
    public void A_behavior_names_its_own_scale_down_window()
    {
        var history = new AutoscalerHistory();
        var behavior = Behavior(60);
        history.Seed(3, T0);

        var held = history.Normalize(behavior, 1, 5, 3, 2, T0.AddSeconds(30), DefaultWindow);
        Assert.Equal(3, held.Replicas);
        Assert.Equal("ScaleDownStabilized", held.StabilizedReason);

        var down = history.Normalize(behavior, 1, 5, 3, 2, T0.AddSeconds(61), DefaultWindow);
        Assert.Equal(2, down.Replicas);
        Assert.Equal("ReadyForNewScale", down.StabilizedReason);
    }

    [Fact]
    public void A_scale_up_window_holds_the_lowest_recent_recommendation()
    {
        var history = new AutoscalerHistory();
        var behavior = new ScalingBehavior(ScalingRules.DefaultScaleUp with { StabilizationWindowSeconds = 60 }, ScalingRules.DefaultScaleDown);
        history.Seed(2, T0);
        var held = history.Normalize(behavior, 1, 10, 2, 5, T0.AddSeconds(10), DefaultWindow);
        Assert.Equal(2, held.Replicas);
        Assert.Equal("ScaleUpStabilized", held.StabilizedReason);
        Assert.Equal(5, history.Normalize(behavior, 1, 10, 2, 5, T0.AddSeconds(61), DefaultWindow).Replicas);
    }

    [Fact]
    public void Rate_policies_count_the_scale_events_of_their_period()
    {
        var history = new AutoscalerHistory();
        var behavior = new ScalingBehavior(new ScalingRules(0, "Max", [new ScalingPolicy("Pods", 2, 60)]), ScalingRules.DefaultScaleDown);
        history.Seed(1, T0);

        var first = history.Normalize(behavior, 1, 10, 1, 8, T0, DefaultWindow);
        Assert.Equal(3, first.Replicas); // 1 + 2 pods per minute
        Assert.Equal("ScaleUpLimit", first.LimitedReason);
        history.RecordScale(behavior, 1, 3, T0);

        // The minute has already added 2: nothing more until it passes.
        Assert.Equal(3, history.Normalize(behavior, 1, 10, 3, 8, T0.AddSeconds(30), DefaultWindow).Replicas);
        Assert.Equal(5, history.Normalize(behavior, 1, 10, 3, 8, T0.AddSeconds(61), DefaultWindow).Replicas);
    }

    [Fact]
    public void Percent_policies_round_up_on_the_way_up_and_down_on_the_way_down()
    {
        var history = new AutoscalerHistory();
        var behavior = new ScalingBehavior(
            new ScalingRules(0, "Max", [new ScalingPolicy("Percent", 50, 15)]),
            new ScalingRules(0, "Max", [new ScalingPolicy("Percent", 50, 15)]));
        history.Seed(3, T0);
        Assert.Equal(5, history.Normalize(behavior, 1, 10, 3, 9, T0, DefaultWindow).Replicas); // ceil(3 × 1.5)
        var down = history.Normalize(behavior, 1, 10, 5, 1, T0.AddMinutes(1), DefaultWindow);
        Assert.Equal(2, down.Replicas); // (int)(5 × 0.5)
        Assert.Equal("ScaleDownLimit", down.LimitedReason);
    }

    [Fact]
    public void A_disabled_direction_never_moves()
    {
        var history = new AutoscalerHistory();
        var behavior = new ScalingBehavior(ScalingRules.DefaultScaleUp, new ScalingRules(0, "Disabled", [new ScalingPolicy("Pods", 1, 15)]));
        history.Seed(4, T0);
        Assert.Equal(4, history.Normalize(behavior, 1, 10, 4, 1, T0.AddHours(1), DefaultWindow).Replicas);
    }
}
