namespace Grainetes.Machinery.Autoscaling;

/// <summary>An HPA's <c>spec.behavior</c>: how fast it may scale in each direction.</summary>
public sealed record ScalingBehavior(ScalingRules ScaleUp, ScalingRules ScaleDown);
