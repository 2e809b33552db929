using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Selectors;

namespace Grainetes.Machinery.Scheduling;

/// <summary>The scheduler's view of one pod, parsed once from its JSON: what it asks for and where it may go.</summary>
public sealed class PodInfo
{
    /// <summary>Kubernetes' scoring stand-ins for containers without requests (100m cpu, 200Mi memory).</summary>
    public const long DefaultMilliCpuRequest = 100;

    public const long DefaultMemoryRequest = 200L * 1024 * 1024;

    public const string DefaultSchedulerName = "default-scheduler";

    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    private ulong? nameHash;

    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public string Uid { get; init; } = "";

    public string ResourceVersion { get; init; } = "";

    /// <summary><c>spec.nodeName</c>; empty while unscheduled.</summary>
    public string NodeName { get; init; } = "";

    public string SchedulerName { get; init; } = DefaultSchedulerName;

    public bool Deleting { get; init; }

    /// <summary>Terminal pods (Succeeded, Failed) no longer hold their node's resources.</summary>
    public bool Terminated { get; init; }

    public long MilliCpu { get; init; }

    public long Memory { get; init; }

    public long NonZeroMilliCpu { get; init; }

    public long NonZeroMemory { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> NodeSelector { get; init; } = [];

    /// <summary>Required node affinity terms (any one must match); null when the pod has none.</summary>
    public IReadOnlyList<NodeSelectorTerm>? RequiredNodeAffinity { get; init; }

    public IReadOnlyList<Toleration> Tolerations { get; init; } = [];

    public string? OwnerUid { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = NoLabels;

    /// <summary>
    /// The group the pod is spread with: its controller owner's uid, or else its namespace and labels; null for a
    /// label-less pod without owner, which has nothing to be spread from.
    /// </summary>
    public string? SpreadKey { get; init; }

    /// <summary>The <c>hostPort</c>s of the pod's containers (every container port when it runs on the host's network).</summary>
    public IReadOnlyList<PodPort> HostPorts { get; init; } = [];

    /// <summary>
    /// Every container port: on a node whose pods share the host's network (the process runtime) these bind on the
    /// host, so they conflict like host ports.
    /// </summary>
    public IReadOnlyList<PodPort> ContainerPorts { get; init; } = [];

    public IReadOnlyList<TopologySpreadConstraint> TopologySpreadConstraints { get; init; } = [];

    /// <summary><c>podAffinity.requiredDuringSchedulingIgnoredDuringExecution</c>: every term must find a pod in the node's domain.</summary>
    public IReadOnlyList<PodAffinityTerm> RequiredPodAffinity { get; init; } = [];

    public IReadOnlyList<PodAffinityTerm> PreferredPodAffinity { get; init; } = [];

    /// <summary><c>podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution</c>: no term may find a pod in the node's domain.</summary>
    public IReadOnlyList<PodAffinityTerm> RequiredPodAntiAffinity { get; init; } = [];

    public IReadOnlyList<PodAffinityTerm> PreferredPodAntiAffinity { get; init; } = [];

    /// <summary>Whether placing the pod depends on where other pods are (spread constraints or pod (anti-)affinity).</summary>
    public bool HasTopologyRules =>
        TopologySpreadConstraints.Count > 0 || RequiredPodAffinity.Count > 0 || PreferredPodAffinity.Count > 0
        || RequiredPodAntiAffinity.Count > 0 || PreferredPodAntiAffinity.Count > 0;

    public string Key => Namespace + "/" + Name;

    /// <summary>Whether the default scheduler is responsible for this pod.</summary>
    public bool IsOurs => SchedulerName is "" or DefaultSchedulerName;

    /// <summary>Whether the pod waits for a node from this scheduler.</summary>
    public bool NeedsScheduling => NodeName.Length == 0 && !Deleting && !Terminated && IsOurs;

    internal ulong NameHash => nameHash ??= StableHash.Of(Key);

    public static PodInfo Parse(string json) => Parse(JsonNode.Parse(json)!.AsObject());

    public static PodInfo Parse(JsonObject pod)
    {
        var meta = pod["metadata"] as JsonObject;
        var spec = pod["spec"] as JsonObject;
        var ns = NodeInfo.Str(meta?["namespace"]) ?? "";
        var name = NodeInfo.Str(meta?["name"]) ?? "";
        var labels = ReadStringMap(meta?["labels"]);
        var (cpu, memory, nonZeroCpu, nonZeroMemory) = ReadRequests(spec);
        var owner = ReadOwner(meta?["ownerReferences"] as JsonArray);
        var phase = NodeInfo.Str(pod["status"]?["phase"]);
        var affinity = spec?["affinity"];
        return new PodInfo
        {
            Namespace = ns,
            Name = name,
            Uid = NodeInfo.Str(meta?["uid"]) ?? "",
            ResourceVersion = NodeInfo.Str(meta?["resourceVersion"]) ?? "",
            NodeName = NodeInfo.Str(spec?["nodeName"]) ?? "",
            SchedulerName = NodeInfo.Str(spec?["schedulerName"]) ?? "",
            Deleting = meta?["deletionTimestamp"] is not null,
            Terminated = phase is "Succeeded" or "Failed",
            MilliCpu = cpu,
            Memory = memory,
            NonZeroMilliCpu = nonZeroCpu,
            NonZeroMemory = nonZeroMemory,
            NodeSelector = ReadStringMap(spec?["nodeSelector"]).ToArray(),
            RequiredNodeAffinity = ReadRequiredAffinity(spec?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]),
            Tolerations = ReadTolerations(spec?["tolerations"] as JsonArray),
            OwnerUid = owner,
            Labels = labels,
            SpreadKey = owner ?? (labels.Count > 0 ? LabelSpreadKey(ns, labels) : null),
            HostPorts = ReadPorts(spec, hostPortsOnly: spec?["hostNetwork"] is not JsonValue h || h.GetValueKind() != System.Text.Json.JsonValueKind.True),
            ContainerPorts = ReadPorts(spec, hostPortsOnly: false),
            TopologySpreadConstraints = ReadSpreadConstraints(spec?["topologySpreadConstraints"] as JsonArray),
            RequiredPodAffinity = ReadAffinityTerms(affinity?["podAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"] as JsonArray, ns, weighted: false),
            PreferredPodAffinity = ReadAffinityTerms(affinity?["podAffinity"]?["preferredDuringSchedulingIgnoredDuringExecution"] as JsonArray, ns, weighted: true),
            RequiredPodAntiAffinity = ReadAffinityTerms(affinity?["podAntiAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"] as JsonArray, ns, weighted: false),
            PreferredPodAntiAffinity = ReadAffinityTerms(affinity?["podAntiAffinity"]?["preferredDuringSchedulingIgnoredDuringExecution"] as JsonArray, ns, weighted: true),
        };
    }

    public override string ToString() => Key;

    private static (long Cpu, long Memory, long NonZeroCpu, long NonZeroMemory) ReadRequests(JsonObject? spec)
    {
        // Kubernetes: the containers' sum, raised to the largest init container (each runs alone, but alongside
        // the restartable "sidecar" init containers started before it), plus the pod overhead.
        var sum = default(Amounts);
        if (spec?["containers"] is JsonArray containers)
        {
            foreach (var c in containers)
            {
                sum += ContainerRequests(c);
            }
        }

        var sidecars = default(Amounts);
        var initPeak = default(Amounts);
        if (spec?["initContainers"] is JsonArray inits)
        {
            foreach (var c in inits)
            {
                var requests = ContainerRequests(c);
                if (NodeInfo.Str(c?["restartPolicy"]) == "Always")
                {
                    sidecars += requests;
                    initPeak = Amounts.Max(initPeak, sidecars);
                }
                else
                {
                    initPeak = Amounts.Max(initPeak, sidecars + requests);
                }
            }
        }

        var total = Amounts.Max(sum + sidecars, initPeak);
        if (spec?["overhead"] is JsonObject overhead)
        {
            var cpu = ResourceQuantity.ToMilli(overhead["cpu"]) ?? 0;
            var memory = ResourceQuantity.ToUnits(overhead["memory"]) ?? 0;
            total += new Amounts(cpu, memory, cpu, memory);
        }

        return (total.Cpu, total.Memory, total.NonZeroCpu, total.NonZeroMemory);
    }

    private static Amounts ContainerRequests(JsonNode? container)
    {
        var resources = container?["resources"];
        var requests = resources?["requests"] as JsonObject;
        var limits = resources?["limits"] as JsonObject;

        // A limit without a request defaults the request to the limit (API defaulting does this in Kubernetes).
        var cpu = ResourceQuantity.ToMilli(requests?["cpu"]) ?? ResourceQuantity.ToMilli(limits?["cpu"]) ?? 0;
        var memory = ResourceQuantity.ToUnits(requests?["memory"]) ?? ResourceQuantity.ToUnits(limits?["memory"]) ?? 0;
        return new Amounts(cpu, memory, cpu == 0 ? DefaultMilliCpuRequest : cpu, memory == 0 ? DefaultMemoryRequest : memory);
    }

    private static PodPort[] ReadPorts(JsonObject? spec, bool hostPortsOnly)
    {
        var ports = new List<PodPort>();
        foreach (var list in new[] { spec?["containers"] as JsonArray, spec?["initContainers"] as JsonArray })
        {
            foreach (var container in list ?? [])
            {
                foreach (var port in container?["ports"] as JsonArray ?? [])
                {
                    var hostPort = ResourceQuantity.ToUnits(port?["hostPort"]) ?? 0;
                    var number = hostPortsOnly ? hostPort : (hostPort > 0 ? hostPort : ResourceQuantity.ToUnits(port?["containerPort"]) ?? 0);
                    if (number > 0)
                    {
                        var hostIP = NodeInfo.Str(port?["hostIP"]);
                        ports.Add(new PodPort(NodeInfo.Str(port?["protocol"]) ?? "TCP", string.IsNullOrEmpty(hostIP) ? PodPort.AnyAddress : hostIP, (int)number));
                    }
                }
            }
        }

        return ports.ToArray();
    }

    private static string? ReadOwner(JsonArray? owners)
    {
        if (owners is null)
        {
            return null;
        }

        string? first = null;
        foreach (var o in owners)
        {
            var uid = NodeInfo.Str(o?["uid"]);
            if (uid is not null && o?["controller"] is JsonValue c && c.GetValueKind() == System.Text.Json.JsonValueKind.True)
            {
                return uid;
            }

            first ??= uid;
        }

        return first;
    }

    private static string LabelSpreadKey(string ns, IReadOnlyDictionary<string, string> labels)
    {
        var text = new StringBuilder(ns).Append('|');
        foreach (var (key, value) in labels.OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('=').Append(value).Append(',');
        }

        return text.ToString();
    }

    private static Dictionary<string, string> ReadStringMap(JsonNode? node)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (NodeInfo.Str(value) is { } v)
                {
                    map[key] = v;
                }
            }
        }

        return map;
    }

    private static Toleration[] ReadTolerations(JsonArray? tolerations) =>
        tolerations is null
            ? []
            : tolerations.Select(t => new Toleration(
                NodeInfo.Str(t?["key"]) ?? "",
                NodeInfo.Str(t?["operator"]) ?? "Equal",
                NodeInfo.Str(t?["value"]) ?? "",
                NodeInfo.Str(t?["effect"]) ?? "")).ToArray();

    private static TopologySpreadConstraint[] ReadSpreadConstraints(JsonArray? constraints)
    {
        if (constraints is null)
        {
            return [];
        }

        var result = new List<TopologySpreadConstraint>();
        foreach (var c in constraints)
        {
            var key = NodeInfo.Str(c?["topologyKey"]);
            if (string.IsNullOrEmpty(key))
            {
                continue;
            }

            // Validation keeps maxSkew at 1 or more; a stored object that slipped past still must not block everything.
            var maxSkew = (int)Math.Max(1, ResourceQuantity.ToUnits(c?["maxSkew"]) ?? 1);
            var minDomains = (int)Math.Max(1, ResourceQuantity.ToUnits(c?["minDomains"]) ?? 1);
            result.Add(new TopologySpreadConstraint(
                maxSkew,
                key,
                NodeInfo.Str(c?["whenUnsatisfiable"]) != "ScheduleAnyway",
                Selector(c?["labelSelector"]),
                minDomains,
                NodeInfo.Str(c?["nodeTaintsPolicy"]) == "Honor"));
        }

        return result.ToArray();
    }

    private static PodAffinityTerm[] ReadAffinityTerms(JsonArray? terms, string ns, bool weighted)
    {
        if (terms is null)
        {
            return [];
        }

        var result = new List<PodAffinityTerm>();
        foreach (var entry in terms)
        {
            var term = weighted ? entry?["podAffinityTerm"] : entry;
            var key = NodeInfo.Str(term?["topologyKey"]);
            if (string.IsNullOrEmpty(key))
            {
                continue;
            }

            var namespaces = (term?["namespaces"] as JsonArray)?.Select(n => NodeInfo.Str(n) ?? "").Where(n => n.Length > 0).ToArray() ?? [];

            // An empty namespaceSelector means every namespace; any other one is not supported and reads as absent.
            var allNamespaces = term?["namespaceSelector"] is JsonObject nsSelector && nsSelector.Count == 0;
            result.Add(new PodAffinityTerm(
                Selector(term?["labelSelector"]),
                namespaces.Length > 0 ? namespaces : [ns],
                allNamespaces,
                key,
                weighted ? (int)(ResourceQuantity.ToUnits(entry?["weight"]) ?? 1) : 0));
        }

        return result.ToArray();
    }

    private static LabelSelector Selector(JsonNode? selector)
    {
        try
        {
            return LabelSelector.FromJson(selector);
        }
        catch (Errors.ApiException)
        {
            // Validation rejects bad selectors at create; one that slipped past selects nothing rather than failing the scheduler.
            return LabelSelector.Nothing;
        }
    }

    private static NodeSelectorTerm[]? ReadRequiredAffinity(JsonNode? required)
    {
        if (required?["nodeSelectorTerms"] is not JsonArray terms)
        {
            return null;
        }

        return terms.Select(t => new NodeSelectorTerm(
            ReadRequirements(t?["matchExpressions"] as JsonArray),
            ReadRequirements(t?["matchFields"] as JsonArray))).ToArray();
    }

    private static NodeSelectorRequirement[] ReadRequirements(JsonArray? requirements) =>
        requirements is null
            ? []
            : requirements.Select(r => new NodeSelectorRequirement(
                NodeInfo.Str(r?["key"]) ?? "",
                Enum.TryParse<NodeSelectorOperator>(NodeInfo.Str(r?["operator"]), ignoreCase: false, out var op) ? op : (NodeSelectorOperator)(-1),
                (r?["values"] as JsonArray)?.Select(v => NodeInfo.Str(v) ?? "").ToArray() ?? [])).ToArray();

    private readonly record struct Amounts(long Cpu, long Memory, long NonZeroCpu, long NonZeroMemory)
    {
        public static Amounts operator +(Amounts a, Amounts b) =>
            new(a.Cpu + b.Cpu, a.Memory + b.Memory, a.NonZeroCpu + b.NonZeroCpu, a.NonZeroMemory + b.NonZeroMemory);

        public static Amounts Max(Amounts a, Amounts b) =>
            new(Math.Max(a.Cpu, b.Cpu), Math.Max(a.Memory, b.Memory), Math.Max(a.NonZeroCpu, b.NonZeroCpu), Math.Max(a.NonZeroMemory, b.NonZeroMemory));
    }
}
