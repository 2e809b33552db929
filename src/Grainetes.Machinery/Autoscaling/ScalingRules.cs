namespace Grainetes.Machinery.Autoscaling;

/// <summary>One direction's HPAScalingRules, defaults filled in as the API server fills them.</summary>
/// <param name="StabilizationWindowSeconds">Null means the controller's default (scale-down: 300 s).</param>
/// <param name="SelectPolicy"><c>Max</c>, <c>Min</c> or <c>Disabled</c>.</param>
public sealed record ScalingRules(int? StabilizationWindowSeconds, string SelectPolicy, IReadOnlyList<ScalingPolicy> Policies)
{
    /// <summary>Kubernetes' default scale-up: no stabilization, the larger of 4 pods or 100% per 15 s.</summary>
    public static ScalingRules DefaultScaleUp { get; } = new(0, "Max", [new("Pods", 4, 15), new("Percent", 100, 15)]);

    /// <summary>Kubernetes' default scale-down: the controller's stabilization window, up to 100% per 15 s.</summary>
    public static ScalingRules DefaultScaleDown { get; } = new(null, "Max", [new("Percent", 100, 15)]);

    /// <summary>The longest policy period: scale events older than that no longer limit anything.</summary>
    public int LongestPeriodSeconds => Policies.Count == 0 ? 0 : Policies.Max(p => p.PeriodSeconds);
}
