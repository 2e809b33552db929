namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// The filter plugins, in Kubernetes' order (cheapest first). Each says why a node cannot take a pod, or null
/// when it can; <see cref="Run"/> stops at the first failing plugin, as Kubernetes' framework does.
/// </summary>
public static class SchedulingFilters
{
    private static readonly Taint UnschedulableTaint = new(Taint.UnschedulableKey, "", Taint.NoSchedule);

    /// <summary>Runs every filter; false with the reasons added to <paramref name="reasons"/> when the node is out.</summary>
    public static bool Run(PodInfo pod, NodeInfo node, List<string> reasons)
    {
        var reason = NodeUnschedulable(pod, node) ?? TaintToleration(pod, node) ?? NodeAffinity(pod, node) ?? NodePorts(pod, node);
        if (reason is not null)
        {
            reasons.Add(reason);
            return false;
        }

        return NodeResourcesFit(pod, node, reasons);
    }

    public static string? NodeUnschedulable(PodInfo pod, NodeInfo node) =>
        node.Unschedulable && !Tolerates(pod.Tolerations, UnschedulableTaint) ? FilterReasons.Unschedulable : null;

    /// <summary>The first NoSchedule or NoExecute taint (including an unready node's) that no toleration matches.</summary>
    public static string? TaintToleration(PodInfo pod, NodeInfo node)
    {
        var taints = node.Taints;
        for (var i = 0; i < taints.Count; i++)
        {
            if (!Tolerates(pod.Tolerations, taints[i]))
            {
                return FilterReasons.UntoleratedTaint(taints[i]);
            }
        }

        return null;
    }

    /// <summary><c>spec.nodeSelector</c> and required node affinity: both must hold.</summary>
    public static string? NodeAffinity(PodInfo pod, NodeInfo node)
    {
        var selector = pod.NodeSelector;
        for (var i = 0; i < selector.Count; i++)
        {
            if (!node.Labels.TryGetValue(selector[i].Key, out var actual) || actual != selector[i].Value)
            {
                return FilterReasons.NodeAffinity;
            }
        }

        if (pod.RequiredNodeAffinity is { } terms)
        {
            for (var i = 0; i < terms.Count; i++)
            {
                if (terms[i].Matches(node))
                {
                    return null;
                }
            }

            return FilterReasons.NodeAffinity;
        }

        return null;
    }

    /// <summary>Kubernetes' NodePorts: a port the pod would take on the node's network is not held by a pod already there.</summary>
    public static string? NodePorts(PodInfo pod, NodeInfo node)
    {
        var wanted = node.PortsOf(pod);
        if (wanted.Count == 0)
        {
            return null;
        }

        var used = node.UsedPorts;
        for (var i = 0; i < wanted.Count; i++)
        {
            for (var j = 0; j < used.Count; j++)
            {
                if (wanted[i].ConflictsWith(used[j]))
                {
                    return FilterReasons.NodePorts;
                }
            }
        }

        return null;
    }

    /// <summary>Pods, cpu and memory against what is allocatable and not yet requested; every shortfall is a reason.</summary>
    public static bool NodeResourcesFit(PodInfo pod, NodeInfo node, List<string> reasons)
    {
        var fits = true;
        if (node.PodCount + 1 > node.AllocatablePods)
        {
            reasons.Add(FilterReasons.TooManyPods);
            fits = false;
        }

        if (pod.MilliCpu > 0 && pod.MilliCpu > node.AllocatableMilliCpu - node.RequestedMilliCpu)
        {
            reasons.Add(FilterReasons.InsufficientCpu);
            fits = false;
        }

        if (pod.Memory > 0 && pod.Memory > node.AllocatableMemory - node.RequestedMemory)
        {
            reasons.Add(FilterReasons.InsufficientMemory);
            fits = false;
        }

        return fits;
    }

    private static bool Tolerates(IReadOnlyList<Toleration> tolerations, Taint taint)
    {
        for (var i = 0; i < tolerations.Count; i++)
        {
            if (tolerations[i].Tolerates(taint))
            {
                return true;
            }
        }

        return false;
    }
}
