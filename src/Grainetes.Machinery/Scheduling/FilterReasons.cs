namespace Grainetes.Machinery.Scheduling;

/// <summary>Why a node was filtered out, worded exactly as Kubernetes' scheduler plugins word it.</summary>
public static class FilterReasons
{
    public const string Unschedulable = "node(s) were unschedulable";
    public const string NodeAffinity = "node(s) didn't match Pod's node affinity/selector";
    public const string InsufficientCpu = "Insufficient cpu";
    public const string InsufficientMemory = "Insufficient memory";
    public const string TooManyPods = "Too many pods";
    public const string NodePorts = "node(s) didn't have free ports for the requested pod ports";

    public const string PodTopologySpread = "node(s) didn't match pod topology spread constraints";
    public const string PodTopologySpreadMissingLabel = "node(s) didn't match pod topology spread constraints (missing required label)";
    public const string PodAffinity = "node(s) didn't match pod affinity rules";
    public const string PodAntiAffinity = "node(s) didn't match pod anti-affinity rules";
    public const string ExistingPodsAntiAffinity = "node(s) didn't satisfy existing pods anti-affinity rules";

    public static string UntoleratedTaint(Taint taint) => $"node(s) had untolerated taint {{{taint.Key}: {taint.Value}}}";
}
