using Grainetes.Machinery.Autoscaling;

namespace Grainetes.Grains.Controllers;

/// <summary>Settings of the horizontal pod autoscaler, named after kube-controller-manager's flags.</summary>
public sealed class HorizontalPodAutoscalerControllerOptions
{
    /// <summary><c>--horizontal-pod-autoscaler-sync-period</c>: how often each HPA is evaluated.</summary>
    public TimeSpan SyncPeriod { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary><c>--horizontal-pod-autoscaler-tolerance</c>.</summary>
    public double Tolerance { get; set; } = 0.1;

    /// <summary><c>--horizontal-pod-autoscaler-downscale-stabilization</c>: the scale-down window when an HPA names none.</summary>
    public TimeSpan DownscaleStabilization { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary><c>--horizontal-pod-autoscaler-cpu-initialization-period</c>.</summary>
    public TimeSpan CpuInitializationPeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary><c>--horizontal-pod-autoscaler-initial-readiness-delay</c>.</summary>
    public TimeSpan InitialReadinessDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The clock stabilization windows, rate policies and <c>lastScaleTime</c> are read against; null means the
    /// silo's <see cref="TimeProvider"/>. Tests set a fake one to step over a window without waiting for it.
    /// </summary>
    public TimeProvider? Clock { get; set; }

    internal AutoscalerTuning Tuning => new()
    {
        Tolerance = Tolerance,
        DownscaleStabilization = DownscaleStabilization,
        CpuInitializationPeriod = CpuInitializationPeriod,
        InitialReadinessDelay = InitialReadinessDelay,
    };
}
