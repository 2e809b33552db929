using System.Globalization;
using System.Text;

namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// Filters every node, scores the feasible ones and picks the best: O(nodes) per pod with no allocation on the
/// success path. Ties go to the node whose name hash, mixed with the pod's, is smallest: deterministic, yet
/// different pods break the same tie differently. Keeps scratch buffers, so one instance per scheduler.
/// </summary>
public sealed class SchedulingAlgorithm
{
    private static readonly IReadOnlyDictionary<string, int> NoReasons = new Dictionary<string, int>();

    private readonly List<string> reasons = new(4);
    private int[] feasible = new int[64];
    private int[] leastAllocated = new int[64];
    private int[] spreadCounts = new int[64];
    private long[] affinityScores = new long[64];

    public ScheduleResult Schedule(PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        if (feasible.Length < nodes.Count)
        {
            var size = Math.Max(nodes.Count, feasible.Length * 2);
            feasible = new int[size];
            leastAllocated = new int[size];
            spreadCounts = new int[size];
            affinityScores = new long[size];
        }

        var count = 0;
        var maxSpread = 0;
        var minAffinity = long.MaxValue;
        var maxAffinity = long.MinValue;
        var topology = TopologyState.For(pod, nodes);
        Dictionary<string, int>? failures = null;
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            reasons.Clear();
            var fits = SchedulingFilters.Run(pod, node, reasons);

            // PodTopologySpread and InterPodAffinity come after the per-node plugins, as in Kubernetes' order.
            if (fits && topology?.Filter(node) is { } topologyReason)
            {
                reasons.Add(topologyReason);
                fits = false;
            }

            if (!fits)
            {
                failures ??= new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var reason in reasons)
                {
                    failures[reason] = failures.GetValueOrDefault(reason) + 1;
                }

                continue;
            }

            feasible[count] = i;
            leastAllocated[count] = SchedulingScores.LeastAllocated(pod, node);
            var spread = topology is { HasSoftSpread: true } ? topology.SoftSpreadCount(node) : node.SpreadCount(pod.SpreadKey);
            spreadCounts[count] = spread;
            var affinity = topology is { HasPreferredAffinity: true } ? topology.PreferredAffinityScore(node) : 0;
            affinityScores[count] = affinity;
            minAffinity = Math.Min(minAffinity, affinity);
            maxAffinity = Math.Max(maxAffinity, affinity);
            maxSpread = Math.Max(maxSpread, spread);
            count++;
        }

        if (count == 0)
        {
            var histogram = (IReadOnlyDictionary<string, int>?)failures ?? NoReasons;
            return new ScheduleResult(null, FailureMessage(nodes.Count, histogram), histogram, 0);
        }

        var best = -1;
        var bestScore = long.MinValue;
        var bestTie = ulong.MaxValue;
        var podHash = pod.NameHash;
        for (var j = 0; j < count; j++)
        {
            long score = (long)leastAllocated[j] * SchedulingScores.LeastAllocatedWeight
                + (long)SchedulingScores.Spread(spreadCounts[j], maxSpread) * SchedulingScores.SpreadWeight
                + (long)SchedulingScores.InterPodAffinity(affinityScores[j], minAffinity, maxAffinity) * SchedulingScores.InterPodAffinityWeight;
            if (score < bestScore)
            {
                continue;
            }

            var tie = StableHash.Mix(nodes[feasible[j]].NameHash ^ podHash);
            if (score > bestScore || tie < bestTie)
            {
                best = feasible[j];
                bestScore = score;
                bestTie = tie;
            }
        }

        return new ScheduleResult(nodes[best], null, NoReasons, count);
    }

    /// <summary>
    /// Kubernetes' FitError text: "0/N nodes are available: " then "count reason" entries sorted as strings
    /// (Go's sort.Strings over the whole entry, count included) and a closing period.
    /// </summary>
    public static string FailureMessage(int totalNodes, IReadOnlyDictionary<string, int> reasons)
    {
        if (totalNodes == 0)
        {
            return "no nodes available to schedule pods";
        }

        var entries = reasons.Select(r => r.Value.ToString(CultureInfo.InvariantCulture) + " " + r.Key).ToList();
        entries.Sort(StringComparer.Ordinal);
        var message = new StringBuilder("0/").Append(totalNodes.ToString(CultureInfo.InvariantCulture)).Append(" nodes are available:");
        if (entries.Count > 0)
        {
            message.Append(' ').AppendJoin(", ", entries).Append('.');
        }

        return message.ToString();
    }
}
