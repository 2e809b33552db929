using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Admission;

/// <summary>
/// What one object charges against a ResourceQuota, after Kubernetes' quota evaluators: every counted object
/// is <c>count/&lt;resource&gt;</c>, core kinds also under their legacy names (<c>services</c>, <c>secrets</c>), a
/// pod that has not finished adds <c>pods</c> and its compute requests and limits, a service its node ports
/// and load balancer.
/// </summary>
public static class QuotaUsage
{
    /// <summary>The stored kinds whose objects are counted (storage keys); others are not quota-tracked here.</summary>
    public static IReadOnlySet<string> CountedKinds { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "pods", "services", "configmaps", "secrets", "serviceaccounts",
        "deployments.apps", "replicasets.apps", "daemonsets.apps", "jobs.batch", "cronjobs.batch",
        "horizontalpodautoscalers.autoscaling",
    };

    /// <summary>The compute resources whose quota obliges every container to state them (Kubernetes' pod Constraints).</summary>
    public static IReadOnlySet<string> ComputeResources { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory",
    };

    // Core kinds that also have an object-count name without the count/ prefix.
    private static readonly HashSet<string> LegacyCounts = new(StringComparer.Ordinal) { "services", "configmaps", "secrets" };

    public static Dictionary<string, decimal> Of(string storageKey, JsonObject obj)
    {
        var usage = new Dictionary<string, decimal>(StringComparer.Ordinal) { ["count/" + storageKey] = 1m };
        if (LegacyCounts.Contains(storageKey))
        {
            usage[storageKey] = 1m;
        }

        if (storageKey == "pods")
        {
            AddPod(usage, obj);
        }
        else if (storageKey == "services")
        {
            AddService(usage, obj);
        }

        return usage;
    }

    /// <summary>A pod in Succeeded or Failed holds nothing but its object count, as Kubernetes' <c>QuotaV1Pod</c> says.</summary>
    public static bool IsTerminal(JsonObject pod) => AdmissionJson.Str(AdmissionJson.At(pod, "status", "phase")) is "Succeeded" or "Failed";

    /// <summary>
    /// The pod's requests and limits per resource: containers summed, the largest init container if larger,
    /// plus overhead. A limit stands in for a missing request, as API defaulting makes it.
    /// </summary>
    public static (Dictionary<string, decimal> Requests, Dictionary<string, decimal> Limits) PodResources(JsonObject pod)
    {
        var requests = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var limits = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var spec = pod["spec"] as JsonObject;
        foreach (var container in Containers(spec, "containers"))
        {
            var (r, l) = ContainerResources(container);
            requests = ResourceAmounts.Add(requests, r);
            limits = ResourceAmounts.Add(limits, l);
        }

        foreach (var init in Containers(spec, "initContainers"))
        {
            var (r, l) = ContainerResources(init);
            MaxInto(requests, r);
            MaxInto(limits, l);
        }

        if (spec?["overhead"] is JsonObject overhead)
        {
            var extra = ResourceAmounts.Parse(overhead);
            requests = ResourceAmounts.Add(requests, extra);
            limits = ResourceAmounts.Add(limits, extra.Where(e => limits.ContainsKey(e.Key)).ToDictionary());
        }

        return (requests, limits);
    }

    /// <summary>A container's requests (a limit standing in for a missing request) and limits.</summary>
    public static (Dictionary<string, decimal> Requests, Dictionary<string, decimal> Limits) ContainerResources(JsonObject container)
    {
        var resources = container["resources"] as JsonObject;
        var limits = ResourceAmounts.Parse(resources?["limits"]);
        var requests = ResourceAmounts.Parse(resources?["requests"]);
        foreach (var (name, value) in limits)
        {
            requests.TryAdd(name, value);
        }

        return (requests, limits);
    }

    public static IEnumerable<JsonObject> Containers(JsonNode? spec, string field) =>
        (AdmissionJson.At(spec, field) as JsonArray)?.OfType<JsonObject>() ?? [];

    private static void AddPod(Dictionary<string, decimal> usage, JsonObject pod)
    {
        if (IsTerminal(pod))
        {
            return;
        }

        usage["pods"] = 1m;
        var (requests, limits) = PodResources(pod);
        foreach (var resource in new[] { "cpu", "memory" })
        {
            if (requests.TryGetValue(resource, out var request))
            {
                usage["requests." + resource] = request;
                usage[resource] = request;
            }

            if (limits.TryGetValue(resource, out var limit))
            {
                usage["limits." + resource] = limit;
            }
        }
    }

    private static void AddService(Dictionary<string, decimal> usage, JsonObject service)
    {
        var type = AdmissionJson.Str(AdmissionJson.At(service, "spec", "type")) ?? "ClusterIP";
        var ports = (AdmissionJson.At(service, "spec", "ports") as JsonArray)?.Count ?? 0;
        if (type == "LoadBalancer")
        {
            usage["services.loadbalancers"] = 1m;
        }

        var balancerPorts = type == "LoadBalancer"
            && !(AdmissionJson.At(service, "spec", "allocateLoadBalancerNodePorts") is JsonValue flag && flag.GetValueKind() == JsonValueKind.False);
        if (type == "NodePort" || balancerPorts)
        {
            usage["services.nodeports"] = ports;
        }
    }

    private static void MaxInto(Dictionary<string, decimal> into, Dictionary<string, decimal> other)
    {
        foreach (var (name, value) in other)
        {
            if (!into.TryGetValue(name, out var current) || value > current)
            {
                into[name] = value;
            }
        }
    }
}
