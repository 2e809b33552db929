namespace Grainetes.Machinery.Autoscaling;

/// <summary>One HPAScalingPolicy: at most <see cref="Value"/> pods (or percent) of change per <see cref="PeriodSeconds"/>.</summary>
/// <param name="Type"><c>Pods</c> or <c>Percent</c>.</param>
public sealed record ScalingPolicy(string Type, int Value, int PeriodSeconds);
