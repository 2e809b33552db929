namespace Grainetes.Machinery.Scheduling;

/// <summary>A node taint: pods without a matching toleration stay off the node (NoSchedule, NoExecute) or avoid it (PreferNoSchedule).</summary>
public sealed record Taint(string Key, string Value, string Effect)
{
    public const string NoSchedule = "NoSchedule";
    public const string NoExecute = "NoExecute";
    public const string PreferNoSchedule = "PreferNoSchedule";

    public const string NotReadyKey = "node.kubernetes.io/not-ready";
    public const string UnreachableKey = "node.kubernetes.io/unreachable";
    public const string UnschedulableKey = "node.kubernetes.io/unschedulable";

    /// <summary>Whether the scheduler must keep untolerating pods off the node.</summary>
    public bool BlocksScheduling => Effect is NoSchedule or NoExecute;
}
