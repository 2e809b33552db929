namespace Grainetes.Machinery.Autoscaling;

/// <summary>
/// The replica count after stabilization, rate limits and the min/max bounds, with what the HPA's conditions
/// say about it: <c>AbleToScale</c> (<see cref="StabilizedReason"/>) and <c>ScalingLimited</c>.
/// </summary>
/// <param name="StabilizedReason"><c>ReadyForNewScale</c>, <c>ScaleDownStabilized</c> or <c>ScaleUpStabilized</c>.</param>
/// <param name="LimitedReason"><c>DesiredWithinRange</c>, <c>TooFewReplicas</c>, <c>TooManyReplicas</c>, <c>ScaleUpLimit</c> or <c>ScaleDownLimit</c>.</param>
public sealed record NormalizedScale(
    int Replicas,
    string StabilizedReason,
    string StabilizedMessage,
    bool Limited,
    string LimitedReason,
    string LimitedMessage);
