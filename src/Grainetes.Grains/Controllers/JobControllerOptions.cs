namespace Grainetes.Grains.Controllers;

/// <summary>Settings of the Job controller, named after kube-controller-manager's job controller constants.</summary>
public sealed class JobControllerOptions
{
    public const string SectionName = "Jobs";

    /// <summary>
    /// The delay before a failed pod's replacement is created after the first failure (Kubernetes'
    /// <c>DefaultJobPodFailureBackOff</c>, 10 s); it doubles with each further failure since the last success.
    /// Tests shorten it.
    /// </summary>
    public TimeSpan PodFailureBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The cap of that delay (<c>MaxJobPodFailureBackOff</c>, 6 min).</summary>
    public TimeSpan MaxPodFailureBackoff { get; set; } = TimeSpan.FromMinutes(6);
}
