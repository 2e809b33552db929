using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// The scheduler's view of one node: what it offers (parsed once from the Node object) and what the pods
/// bound or assumed on it take. Not thread-safe: one scheduler owns it.
/// </summary>
public sealed class NodeInfo
{
    /// <summary>Kubernetes' kubelet default when a node reports no pod capacity.</summary>
    public const long DefaultMaxPods = 110;

    private readonly Dictionary<string, int> spreadCounts = new(StringComparer.Ordinal);

    private readonly List<PodInfo> pods = [];

    // A multiset: two pods may hold one port when they bind different addresses.
    private readonly List<PodPort> usedPorts = [];

    public NodeInfo(
        string name,
        long allocatableMilliCpu,
        long allocatableMemory,
        long allocatablePods,
        IReadOnlyDictionary<string, string> labels,
        IReadOnlyList<Taint> taints,
        bool unschedulable,
        bool ready)
    {
        Name = name;
        AllocatableMilliCpu = allocatableMilliCpu;
        AllocatableMemory = allocatableMemory;
        AllocatablePods = allocatablePods;
        Labels = labels;
        Unschedulable = unschedulable;
        Ready = ready;
        NameHash = StableHash.Of(name);

        // A node that is not Ready repels pods as if the node lifecycle controller had tainted it already.
        var effective = taints.ToList();
        if (!ready && !effective.Any(t => t.Key is Taint.NotReadyKey or Taint.UnreachableKey))
        {
            effective.Add(new Taint(Taint.NotReadyKey, "", Taint.NoSchedule));
        }

        Taints = effective.Where(t => t.BlocksScheduling).ToArray();
        AllTaints = effective;
    }

    public string Name { get; }

    public long AllocatableMilliCpu { get; }

    public long AllocatableMemory { get; }

    public long AllocatablePods { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>Every taint, including the one implied by a Ready condition other than True.</summary>
    public IReadOnlyList<Taint> AllTaints { get; }

    /// <summary>The NoSchedule and NoExecute taints, the only ones filtering looks at.</summary>
    public IReadOnlyList<Taint> Taints { get; }

    public bool Unschedulable { get; }

    public bool Ready { get; }

    public ulong NameHash { get; }

    /// <summary>Sum of the cpu requests of the pods on the node, in millicores.</summary>
    public long RequestedMilliCpu { get; private set; }

    public long RequestedMemory { get; private set; }

    /// <summary>Like <see cref="RequestedMilliCpu"/> but counting request-less containers at Kubernetes' scoring defaults.</summary>
    public long NonZeroMilliCpu { get; private set; }

    public long NonZeroMemory { get; private set; }

    public int PodCount { get; private set; }

    /// <summary>The pods bound or assumed here, for the topology rules that count pods by label.</summary>
    public IReadOnlyList<PodInfo> Pods => pods;

    /// <summary>How many of <see cref="Pods"/> carry required pod anti-affinity, which every other pod must respect.</summary>
    public int RequiredAntiAffinityPodCount { get; private set; }

    /// <summary>Whether the node's pods share the host's network (the process runtime), so every container port is a host port.</summary>
    public bool HostNetwork { get; init; }

    /// <summary>The host ports the node's pods hold (see <see cref="PortsOf"/>).</summary>
    public IReadOnlyList<PodPort> UsedPorts => usedPorts;

    /// <summary>The ports <paramref name="pod"/> would take on this node.</summary>
    public IReadOnlyList<PodPort> PortsOf(PodInfo pod) => HostNetwork ? pod.ContainerPorts : pod.HostPorts;

    public static NodeInfo Parse(string json) => Parse(JsonNode.Parse(json)!.AsObject());

    public static NodeInfo Parse(JsonObject node)
    {
        var name = Str(node["metadata"]?["name"]) ?? "";
        var status = node["status"] as JsonObject;
        var allocatable = status?["allocatable"] as JsonObject ?? status?["capacity"] as JsonObject;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node["metadata"]?["labels"] is JsonObject labelObject)
        {
            foreach (var (key, value) in labelObject)
            {
                if (Str(value) is { } v)
                {
                    labels[key] = v;
                }
            }
        }

        var taints = new List<Taint>();
        if (node["spec"]?["taints"] is JsonArray taintArray)
        {
            foreach (var t in taintArray)
            {
                if (Str(t?["key"]) is { } key)
                {
                    taints.Add(new Taint(key, Str(t?["value"]) ?? "", Str(t?["effect"]) ?? ""));
                }
            }
        }

        string? readyStatus = null;
        if (status?["conditions"] is JsonArray conditions)
        {
            foreach (var c in conditions)
            {
                if (Str(c?["type"]) == "Ready")
                {
                    readyStatus = Str(c?["status"]);
                }
            }
        }

        // Ready=Unknown means the node stopped reporting: Kubernetes taints it unreachable, not not-ready.
        if (readyStatus == "Unknown" && !taints.Any(t => t.Key is Taint.NotReadyKey or Taint.UnreachableKey))
        {
            taints.Add(new Taint(Taint.UnreachableKey, "", Taint.NoSchedule));
        }

        var ready = readyStatus == "True";
        var unschedulable = node["spec"]?["unschedulable"] is JsonValue u && u.GetValueKind() == JsonValueKind.True;
        return new NodeInfo(
            name,
            ResourceQuantity.ToMilli(allocatable?["cpu"]) ?? 0,
            ResourceQuantity.ToUnits(allocatable?["memory"]) ?? 0,
            ResourceQuantity.ToUnits(allocatable?["pods"]) ?? DefaultMaxPods,
            labels,
            taints,
            unschedulable,
            ready)
        {
            HostNetwork = Str(status?["nodeInfo"]?["containerRuntimeVersion"])?.StartsWith("process://", StringComparison.Ordinal) == true,
        };
    }

    /// <summary>How many pods of a spread group (see <see cref="PodInfo.SpreadKey"/>) are on the node.</summary>
    public int SpreadCount(string? spreadKey) =>
        spreadKey is not null && spreadCounts.TryGetValue(spreadKey, out var count) ? count : 0;

    public void AddPod(PodInfo pod)
    {
        RequestedMilliCpu += pod.MilliCpu;
        RequestedMemory += pod.Memory;
        NonZeroMilliCpu += pod.NonZeroMilliCpu;
        NonZeroMemory += pod.NonZeroMemory;
        PodCount++;
        pods.Add(pod);
        if (pod.RequiredPodAntiAffinity.Count > 0)
        {
            RequiredAntiAffinityPodCount++;
        }

        usedPorts.AddRange(PortsOf(pod));
        if (pod.SpreadKey is { } key)
        {
            spreadCounts[key] = SpreadCount(key) + 1;
        }
    }

    public void RemovePod(PodInfo pod)
    {
        RequestedMilliCpu -= pod.MilliCpu;
        RequestedMemory -= pod.Memory;
        NonZeroMilliCpu -= pod.NonZeroMilliCpu;
        NonZeroMemory -= pod.NonZeroMemory;
        PodCount--;
        var index = pods.FindIndex(p => p.Key == pod.Key);
        if (index >= 0)
        {
            pods.RemoveAt(index);
        }

        if (pod.RequiredPodAntiAffinity.Count > 0)
        {
            RequiredAntiAffinityPodCount--;
        }

        foreach (var port in PortsOf(pod))
        {
            usedPorts.Remove(port);
        }

        if (pod.SpreadKey is { } key && spreadCounts.TryGetValue(key, out var count))
        {
            if (count <= 1)
            {
                spreadCounts.Remove(key);
            }
            else
            {
                spreadCounts[key] = count - 1;
            }
        }
    }

    /// <summary>Whether the two views differ in anything that can change a scheduling decision (not heartbeats).</summary>
    public bool SchedulesLike(NodeInfo other) =>
        AllocatableMilliCpu == other.AllocatableMilliCpu
        && AllocatableMemory == other.AllocatableMemory
        && AllocatablePods == other.AllocatablePods
        && Unschedulable == other.Unschedulable
        && Ready == other.Ready
        && HostNetwork == other.HostNetwork
        && AllTaints.SequenceEqual(other.AllTaints)
        && Labels.Count == other.Labels.Count
        && Labels.All(l => other.Labels.TryGetValue(l.Key, out var v) && v == l.Value);

    public override string ToString() => Name;

    internal static string? Str(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
