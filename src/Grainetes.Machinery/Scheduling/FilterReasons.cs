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

    public static string UntoleratedTaint(Taint taint) => $"node(s) had untolerated taint {{{taint.Key}: {taint.Value}}}";
}
