namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// The scheduler's consistent view: the nodes, and every pod that holds (or, assumed, is about to hold) a
/// node's resources. A decision is accounted here before its binding is sent, so the next decision already
/// sees it; the pod watch later confirms it, or <see cref="Forget"/> undoes it when the binding fails.
/// Pods bound to a node the cache does not know yet are kept and counted once the node appears.
/// </summary>
public sealed class SchedulingCache
{
    private readonly List<NodeInfo> nodes = [];
    private readonly Dictionary<string, int> nodeIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Placement> pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> podsByNode = new(StringComparer.Ordinal);

    /// <summary>The nodes in no particular order; a live view, not a copy.</summary>
    public IReadOnlyList<NodeInfo> Nodes => nodes;

    public int PodCount => pods.Count;

    public NodeInfo? Node(string name) => nodeIndex.TryGetValue(name, out var i) ? nodes[i] : null;

    /// <summary>Adds or replaces a node; true when this may let a waiting pod fit (new, or changed in a way that matters).</summary>
    public bool SetNode(NodeInfo node)
    {
        if (nodeIndex.TryGetValue(node.Name, out var i))
        {
            // Status heartbeats change nothing the filters read: keep the instance and its accounting.
            if (nodes[i].SchedulesLike(node))
            {
                return false;
            }

            nodes[i] = node;
        }
        else
        {
            nodeIndex[node.Name] = nodes.Count;
            nodes.Add(node);
        }

        if (podsByNode.TryGetValue(node.Name, out var keys))
        {
            foreach (var key in keys)
            {
                node.AddPod(pods[key].Pod);
            }
        }

        return true;
    }

    /// <summary>Removes a node; its pods stay recorded (they still exist) and count again if the node returns.</summary>
    public bool RemoveNode(string name)
    {
        if (!nodeIndex.Remove(name, out var i))
        {
            return false;
        }

        var last = nodes.Count - 1;
        if (i != last)
        {
            nodes[i] = nodes[last];
            nodeIndex[nodes[i].Name] = i;
        }

        nodes.RemoveAt(last);
        return true;
    }

    /// <summary>Accounts a decision before its binding is confirmed.</summary>
    public void Assume(PodInfo pod, string nodeName) => Place(pod, nodeName, assumed: true);

    /// <summary>Whether the pod's place is only assumed (its binding is not yet seen through the watch).</summary>
    public bool IsAssumed(string podKey) => pods.TryGetValue(podKey, out var p) && p.Assumed;

    /// <summary>Where the cache has the pod, assumed or bound; null when it holds no node's resources.</summary>
    public string? NodeOf(string podKey) => pods.TryGetValue(podKey, out var p) ? p.NodeName : null;

    /// <summary>Undoes an assumption whose binding failed; a place confirmed by the watch meanwhile stays.</summary>
    public bool Forget(string podKey)
    {
        if (!pods.TryGetValue(podKey, out var placement) || !placement.Assumed)
        {
            return false;
        }

        Unplace(podKey, placement);
        return true;
    }

    /// <summary>
    /// Applies what the pod watch (or a list) shows. A bound, live pod holds its node's resources; a terminal
    /// one does not. An unbound pod leaves an assumption alone: its binding may simply not be seen yet.
    /// Returns true when resources were freed.
    /// </summary>
    public bool Observe(PodInfo pod)
    {
        if (pod.NodeName.Length == 0)
        {
            return false;
        }

        if (pod.Terminated)
        {
            return Remove(pod.Key);
        }

        var freed = pods.TryGetValue(pod.Key, out var old) && (old.NodeName != pod.NodeName || old.Pod.MilliCpu > pod.MilliCpu || old.Pod.Memory > pod.Memory);
        Place(pod, pod.NodeName, assumed: false);
        return freed;
    }

    /// <summary>A pod was deleted; true when it held a node's resources.</summary>
    public bool Remove(string podKey)
    {
        if (!pods.TryGetValue(podKey, out var placement))
        {
            return false;
        }

        Unplace(podKey, placement);
        return true;
    }

    /// <summary>Every pod key the cache holds, for reconciling with a fresh list.</summary>
    public IReadOnlyCollection<string> PodKeys => pods.Keys;

    private void Place(PodInfo pod, string nodeName, bool assumed)
    {
        if (pods.TryGetValue(pod.Key, out var old))
        {
            Unplace(pod.Key, old);
        }

        pods[pod.Key] = new Placement(pod, nodeName, assumed);
        if (!podsByNode.TryGetValue(nodeName, out var keys))
        {
            keys = new HashSet<string>(StringComparer.Ordinal);
            podsByNode[nodeName] = keys;
        }

        keys.Add(pod.Key);
        Node(nodeName)?.AddPod(pod);
    }

    private void Unplace(string podKey, Placement placement)
    {
        pods.Remove(podKey);
        if (podsByNode.TryGetValue(placement.NodeName, out var keys))
        {
            keys.Remove(podKey);
            if (keys.Count == 0)
            {
                podsByNode.Remove(placement.NodeName);
            }
        }

        Node(placement.NodeName)?.RemovePod(placement.Pod);
    }

    private sealed record Placement(PodInfo Pod, string NodeName, bool Assumed);
}
