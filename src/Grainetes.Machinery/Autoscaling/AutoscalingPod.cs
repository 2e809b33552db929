namespace Grainetes.Machinery.Autoscaling;

/// <summary>What the replica calculation needs to know of one pod the HPA's target selects.</summary>
/// <param name="RequestMilli">The pod's summed request of the metric's resource, in thousandths; null when a container has none.</param>
/// <param name="ContainerWithoutRequest">The first container with no request of the resource, for the error message.</param>
public sealed record AutoscalingPod(
    string Name,
    string? Phase,
    bool Deleting,
    DateTimeOffset? StartTime,
    bool? Ready,
    DateTimeOffset? ReadyTransition,
    long? RequestMilli,
    string? ContainerWithoutRequest = null);
