namespace Grainetes.Machinery.Autoscaling;

/// <summary>The kube-controller-manager flags of the HPA controller that shape its arithmetic.</summary>
public sealed record AutoscalerTuning
{
    /// <summary><c>--horizontal-pod-autoscaler-tolerance</c>: usage within this ratio of the target changes nothing.</summary>
    public double Tolerance { get; init; } = 0.1;

    /// <summary><c>--horizontal-pod-autoscaler-cpu-initialization-period</c>: a pod's cpu samples are doubted this long after it starts.</summary>
    public TimeSpan CpuInitializationPeriod { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary><c>--horizontal-pod-autoscaler-initial-readiness-delay</c>: readiness flaps this soon after start do not count.</summary>
    public TimeSpan InitialReadinessDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>--horizontal-pod-autoscaler-downscale-stabilization</c>: the scale-down window when the HPA names none.</summary>
    public TimeSpan DownscaleStabilization { get; init; } = TimeSpan.FromMinutes(5);
}
