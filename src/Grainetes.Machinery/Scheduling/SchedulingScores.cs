namespace Grainetes.Machinery.Scheduling;

/// <summary>The score plugins, each 0–100 (higher is better), and their weights in the final sum.</summary>
public static class SchedulingScores
{
    public const int MaxScore = 100;

    /// <summary>Kubernetes' default weights: NodeResourcesFit 1, PodTopologySpread 2.</summary>
    public const int LeastAllocatedWeight = 1;

    public const int SpreadWeight = 2;

    /// <summary>Kubernetes' default weight for InterPodAffinity.</summary>
    public const int InterPodAffinityWeight = 2;

    /// <summary>
    /// NodeResourcesFit's LeastAllocated strategy: the share of cpu and of memory left free once the pod is
    /// placed, averaged. Request-less pods count at the scoring defaults so they still spread.
    /// </summary>
    public static int LeastAllocated(PodInfo pod, NodeInfo node)
    {
        var cpu = Free(node.AllocatableMilliCpu, node.NonZeroMilliCpu + pod.NonZeroMilliCpu);
        var memory = Free(node.AllocatableMemory, node.NonZeroMemory + pod.NonZeroMemory);
        return (int)((cpu + memory) / 2);
    }

    /// <summary>
    /// Spreading, as Kubernetes' default topology spread over hostnames: the node with the fewest pods of the
    /// group scores 100, the one with the most scores 0 relative to it.
    /// </summary>
    public static int Spread(int countOnNode, int maxCountOnFeasibleNodes) =>
        countOnNode < 0 ? 0 : maxCountOnFeasibleNodes <= 0 ? MaxScore : (int)((long)(maxCountOnFeasibleNodes - countOnNode) * MaxScore / maxCountOnFeasibleNodes);

    /// <summary>
    /// InterPodAffinity: the preferred (anti-)affinity weight sums scaled between the lowest and the highest on the
    /// feasible nodes; all equal scores 0, as in Kubernetes.
    /// </summary>
    public static int InterPodAffinity(long raw, long min, long max) =>
        max <= min ? 0 : (int)((raw - min) * MaxScore / (max - min));

    private static long Free(long capacity, long requested) =>
        capacity <= 0 || requested > capacity ? 0 : (capacity - requested) * MaxScore / capacity;
}
