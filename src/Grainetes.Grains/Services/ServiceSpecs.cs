using System.Text.Json.Nodes;
using Grainetes.Machinery.Resources;

namespace Grainetes.Grains.Services;

/// <summary>Reading a Service's wire-format spec: the parts allocation and endpoints care about.</summary>
internal static class ServiceSpecs
{
    public static string? Str(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string Type(JsonObject svc) => Str(svc["spec"]?["type"]) ?? "ClusterIP";

    /// <summary>The cluster IPs the service names (none for headless and ExternalName services).</summary>
    public static IEnumerable<string> ClusterIPs(JsonObject svc)
    {
        var spec = svc["spec"];
        var ips = (spec?["clusterIPs"] as JsonArray)?.Select(Str).ToList() ?? [];
        if (ips.Count == 0)
        {
            ips.Add(Str(spec?["clusterIP"]));
        }

        return ips.Where(ip => !string.IsNullOrEmpty(ip) && ip != "None").Cast<string>();
    }

    public static IEnumerable<int> NodePorts(JsonObject svc) =>
        Ports(svc).Select(p => JsonNumbers.ToInt32(p["nodePort"]) ?? 0).Where(p => p > 0);

    public static IEnumerable<JsonObject> Ports(JsonObject svc) =>
        (svc["spec"]?["ports"] as JsonArray)?.OfType<JsonObject>() ?? [];

    /// <summary>Whether the type gets a cluster IP allocated (ExternalName does not).</summary>
    public static bool WantsClusterIP(string type) => type is "ClusterIP" or "NodePort" or "LoadBalancer";

    public static bool WantsNodePorts(JsonObject svc)
    {
        var type = Type(svc);

        // A LoadBalancer may opt out of node ports (allocateLoadBalancerNodePorts: false).
        return type == "NodePort"
            || (type == "LoadBalancer" && (svc["spec"]?["allocateLoadBalancerNodePorts"] as JsonValue)?.GetValueKind() != System.Text.Json.JsonValueKind.False);
    }

    /// <summary>The selector as a plain map, or null when the service has none (its endpoints are the user's).</summary>
    public static IReadOnlyDictionary<string, string>? Selector(JsonObject svc)
    {
        if (svc["spec"]?["selector"] is not JsonObject selector || selector.Count == 0)
        {
            return null;
        }

        return selector.Where(p => Str(p.Value) is not null).ToDictionary(p => p.Key, p => Str(p.Value)!, StringComparer.Ordinal);
    }

    public static bool Matches(IReadOnlyDictionary<string, string> selector, IReadOnlyDictionary<string, string> labels) =>
        selector.All(s => labels.TryGetValue(s.Key, out var v) && v == s.Value);
}
