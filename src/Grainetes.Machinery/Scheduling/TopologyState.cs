namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// What Kubernetes' PodTopologySpread and InterPodAffinity plugins precompute for one pod (their PreFilter): how
/// many matching pods each topology domain holds, which domains the pod's (anti-)affinity rules and the existing
/// pods' anti-affinity rules allow. Built from the nodes' current pods, assumed ones included, so each decision
/// sees the ones before it.
/// </summary>
public sealed class TopologyState
{
    private readonly PodInfo pod;
    private readonly Dictionary<string, int>[] domainCounts;
    private readonly int[] minCounts;
    private readonly int[] selfMatches;
    private readonly HashSet<string>[] antiAffinityDomains;
    private readonly HashSet<string>[] affinityDomains;
    private readonly HashSet<(string Key, string Value)> forbiddenDomains = [];
    private readonly Dictionary<(string Key, string Value), long> preferredWeights = [];
    private readonly bool anyAffinityMatch;

    private TopologyState(PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        this.pod = pod;
        var constraints = pod.TopologySpreadConstraints;
        domainCounts = new Dictionary<string, int>[constraints.Count];
        minCounts = new int[constraints.Count];
        selfMatches = new int[constraints.Count];
        for (var i = 0; i < constraints.Count; i++)
        {
            domainCounts[i] = new Dictionary<string, int>(StringComparer.Ordinal);
            selfMatches[i] = constraints[i].Selector.Matches(pod.Labels) ? 1 : 0;
        }

        antiAffinityDomains = pod.RequiredPodAntiAffinity.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToArray();
        affinityDomains = pod.RequiredPodAffinity.Select(_ => new HashSet<string>(StringComparer.Ordinal)).ToArray();

        foreach (var node in nodes)
        {
            CountSpread(node);
            foreach (var other in node.Pods)
            {
                anyAffinityMatch |= AddAffinity(node, other);
            }
        }

        for (var i = 0; i < constraints.Count; i++)
        {
            // Fewer domains than minDomains: the global minimum counts as 0, so no domain may exceed maxSkew.
            var counts = domainCounts[i];
            minCounts[i] = counts.Count == 0 || counts.Count < constraints[i].MinDomains ? 0 : counts.Values.Min();
        }

        HasSoftSpread = constraints.Any(c => !c.DoNotSchedule);
        HasPreferredAffinity = pod.PreferredPodAffinity.Count > 0 || pod.PreferredPodAntiAffinity.Count > 0;
    }

    /// <summary>Whether the pod has ScheduleAnyway constraints, which then replace the default spreading score.</summary>
    public bool HasSoftSpread { get; }

    public bool HasPreferredAffinity { get; }

    /// <summary>The state for <paramref name="pod"/>, or null when no topology rule applies to it (the common case, kept free).</summary>
    public static TopologyState? For(PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        if (pod.HasTopologyRules)
        {
            return new TopologyState(pod, nodes);
        }

        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].RequiredAntiAffinityPodCount > 0)
            {
                return new TopologyState(pod, nodes);
            }
        }

        return null;
    }

    /// <summary>PodTopologySpread's and then InterPodAffinity's filter: why the node cannot take the pod, or null.</summary>
    public string? Filter(NodeInfo node) => SpreadFilter(node) ?? AffinityFilter(node);

    /// <summary>
    /// The matching pods in the node's domains of the ScheduleAnyway constraints (fewer is better), or -1 when the
    /// node lacks one of their keys, which Kubernetes scores lowest.
    /// </summary>
    public int SoftSpreadCount(NodeInfo node)
    {
        var constraints = pod.TopologySpreadConstraints;
        var total = 0;
        for (var i = 0; i < constraints.Count; i++)
        {
            if (constraints[i].DoNotSchedule)
            {
                continue;
            }

            if (!node.Labels.TryGetValue(constraints[i].TopologyKey, out var value))
            {
                return -1;
            }

            total += domainCounts[i].GetValueOrDefault(value);
        }

        return total;
    }

    /// <summary>InterPodAffinity's raw score: preferred affinity weights minus preferred anti-affinity weights, per matching pod in the node's domains.</summary>
    public long PreferredAffinityScore(NodeInfo node)
    {
        long score = 0;
        foreach (var ((key, value), weight) in preferredWeights)
        {
            if (node.Labels.TryGetValue(key, out var actual) && actual == value)
            {
                score += weight;
            }
        }

        return score;
    }

    private void CountSpread(NodeInfo node)
    {
        var constraints = pod.TopologySpreadConstraints;
        if (constraints.Count == 0 || SchedulingFilters.NodeAffinity(pod, node) is not null)
        {
            return;
        }

        // Kubernetes counts only nodes carrying every constraint's key (and matching the pod's node affinity).
        for (var i = 0; i < constraints.Count; i++)
        {
            if (!node.Labels.ContainsKey(constraints[i].TopologyKey))
            {
                return;
            }
        }

        var untolerated = SchedulingFilters.TaintToleration(pod, node) is not null;
        for (var i = 0; i < constraints.Count; i++)
        {
            if (untolerated && constraints[i].HonorTaints)
            {
                continue;
            }

            var value = node.Labels[constraints[i].TopologyKey];
            var matching = 0;
            foreach (var other in node.Pods)
            {
                if (!other.Deleting && other.Namespace == pod.Namespace && constraints[i].Selector.Matches(other.Labels))
                {
                    matching++;
                }
            }

            domainCounts[i][value] = domainCounts[i].GetValueOrDefault(value) + matching;
        }
    }

    /// <summary>Records what <paramref name="other"/> (on <paramref name="node"/>) means for the pod's affinity rules; true when it matches a required affinity term.</summary>
    private bool AddAffinity(NodeInfo node, PodInfo other)
    {
        var matchedAffinity = false;
        for (var j = 0; j < pod.RequiredPodAntiAffinity.Count; j++)
        {
            var term = pod.RequiredPodAntiAffinity[j];
            if (node.Labels.TryGetValue(term.TopologyKey, out var value) && term.Matches(other))
            {
                antiAffinityDomains[j].Add(value);
            }
        }

        for (var j = 0; j < pod.RequiredPodAffinity.Count; j++)
        {
            var term = pod.RequiredPodAffinity[j];
            if (term.Matches(other))
            {
                matchedAffinity = true;
                if (node.Labels.TryGetValue(term.TopologyKey, out var value))
                {
                    affinityDomains[j].Add(value);
                }
            }
        }

        AddPreferred(node, other, pod.PreferredPodAffinity, 1);
        AddPreferred(node, other, pod.PreferredPodAntiAffinity, -1);

        // Anti-affinity is symmetric: an existing pod's required term that names this pod keeps it out of that pod's domain.
        foreach (var term in other.RequiredPodAntiAffinity)
        {
            if (node.Labels.TryGetValue(term.TopologyKey, out var value) && term.Matches(pod))
            {
                forbiddenDomains.Add((term.TopologyKey, value));
            }
        }

        return matchedAffinity;
    }

    private void AddPreferred(NodeInfo node, PodInfo other, IReadOnlyList<PodAffinityTerm> terms, int sign)
    {
        foreach (var term in terms)
        {
            if (node.Labels.TryGetValue(term.TopologyKey, out var value) && term.Matches(other))
            {
                var key = (term.TopologyKey, value);
                preferredWeights[key] = preferredWeights.GetValueOrDefault(key) + (sign * term.Weight);
            }
        }
    }

    private string? SpreadFilter(NodeInfo node)
    {
        var constraints = pod.TopologySpreadConstraints;
        for (var i = 0; i < constraints.Count; i++)
        {
            if (!constraints[i].DoNotSchedule)
            {
                continue;
            }

            if (!node.Labels.TryGetValue(constraints[i].TopologyKey, out var value))
            {
                return FilterReasons.PodTopologySpreadMissingLabel;
            }

            var skew = domainCounts[i].GetValueOrDefault(value) + selfMatches[i] - minCounts[i];
            if (skew > constraints[i].MaxSkew)
            {
                return FilterReasons.PodTopologySpread;
            }
        }

        return null;
    }

    /// <summary>Kubernetes' order: the pod's affinity, its anti-affinity, then the existing pods' anti-affinity.</summary>
    private string? AffinityFilter(NodeInfo node)
    {
        if (!SatisfiesAffinity(node))
        {
            return FilterReasons.PodAffinity;
        }

        for (var j = 0; j < antiAffinityDomains.Length; j++)
        {
            if (node.Labels.TryGetValue(pod.RequiredPodAntiAffinity[j].TopologyKey, out var value) && antiAffinityDomains[j].Contains(value))
            {
                return FilterReasons.PodAntiAffinity;
            }
        }

        foreach (var (key, value) in forbiddenDomains)
        {
            if (node.Labels.TryGetValue(key, out var actual) && actual == value)
            {
                return FilterReasons.ExistingPodsAntiAffinity;
            }
        }

        return null;
    }

    private bool SatisfiesAffinity(NodeInfo node)
    {
        var podsExist = true;
        for (var j = 0; j < affinityDomains.Length; j++)
        {
            if (!node.Labels.TryGetValue(pod.RequiredPodAffinity[j].TopologyKey, out var value))
            {
                return false;
            }

            podsExist &= affinityDomains[j].Contains(value);
        }

        // Kubernetes lets the first pod of a self-affine group in, or no group could ever start.
        return podsExist || (!anyAffinityMatch && pod.RequiredPodAffinity.All(t => t.Matches(pod)));
    }
}
