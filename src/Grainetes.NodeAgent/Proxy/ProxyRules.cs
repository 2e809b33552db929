using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.NodeAgent.Proxy;

/// <summary>
/// Turns services and their <c>discovery.k8s.io/v1</c> EndpointSlices into the proxy's rules: one per service port,
/// with the ready endpoints of the slice ports of the same name (so a named targetPort, already resolved per pod by
/// the endpoints controller, arrives here as a number per endpoint).
/// </summary>
public static class ProxyRules
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>Kubernetes' default for <c>sessionAffinityConfig.clientIP.timeoutSeconds</c>: three hours.</summary>
    public const int DefaultAffinitySeconds = 10800;

    public static IReadOnlyList<ServicePortRule> Build(IEnumerable<JsonObject> services, IEnumerable<JsonObject> slices)
    {
        var slicesByService = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        foreach (var slice in slices)
        {
            var ns = Str(slice["metadata"]?["namespace"]) ?? "";
            if (Str(slice["metadata"]?["labels"]?[ServiceNameLabel]) is { } service)
            {
                var key = ns + "/" + service;
                if (!slicesByService.TryGetValue(key, out var list))
                {
                    list = [];
                    slicesByService[key] = list;
                }

                list.Add(slice);
            }
        }

        var rules = new List<ServicePortRule>();
        foreach (var service in services)
        {
            var meta = service["metadata"];
            var spec = service["spec"];
            var type = Str(spec?["type"]) ?? "ClusterIP";
            if (type == "ExternalName" || spec?["ports"] is not JsonArray ports)
            {
                continue;
            }

            var clusterIP = Str(spec?["clusterIP"]);
            if (clusterIP is "None" or "")
            {
                clusterIP = null;
            }

            var serviceKey = Str(meta?["namespace"]) + "/" + Str(meta?["name"]);
            var affinity = Str(spec?["sessionAffinity"]) == "ClientIP"
                ? TimeSpan.FromSeconds(Int(spec?["sessionAffinityConfig"]?["clientIP"]?["timeoutSeconds"]) is > 0 and var t ? t : DefaultAffinitySeconds)
                : (TimeSpan?)null;
            var serviceSlices = slicesByService.TryGetValue(serviceKey, out var found) ? found : [];
            foreach (var port in ports)
            {
                var name = Str(port?["name"]) ?? "";
                var protocol = Str(port?["protocol"]) ?? "TCP";
                var number = Int(port?["port"]);
                var nodePort = type is "NodePort" or "LoadBalancer" ? Int(port?["nodePort"]) : 0;
                if (number <= 0 || (clusterIP is null && nodePort <= 0))
                {
                    continue;
                }

                rules.Add(new ServicePortRule(
                    $"{serviceKey}:{(name.Length > 0 ? name : number.ToString(CultureInfo.InvariantCulture))}",
                    protocol,
                    clusterIP,
                    number,
                    nodePort,
                    affinity,
                    ReadyBackends(serviceSlices, name, protocol)));
            }
        }

        return rules;
    }

    private static List<Backend> ReadyBackends(List<JsonObject> slices, string portName, string protocol)
    {
        var backends = new List<Backend>();
        var seen = new HashSet<(string, int)>();
        foreach (var slice in slices)
        {
            if (Str(slice["addressType"]) is { } addressType && addressType != "IPv4")
            {
                continue;
            }

            var target = 0;
            if (slice["ports"] is JsonArray slicePorts)
            {
                foreach (var p in slicePorts)
                {
                    if ((Str(p?["name"]) ?? "") == portName && (Str(p?["protocol"]) ?? "TCP") == protocol)
                    {
                        target = Int(p?["port"]);
                    }
                }
            }

            if (target <= 0 || slice["endpoints"] is not JsonArray endpoints)
            {
                continue;
            }

            foreach (var endpoint in endpoints)
            {
                // Kubernetes: an unknown readiness (no field) counts as ready.
                if (endpoint?["conditions"]?["ready"] is JsonValue ready && ready.GetValueKind() == JsonValueKind.False)
                {
                    continue;
                }

                var node = Str(endpoint?["nodeName"]);
                if (endpoint?["addresses"] is JsonArray addresses)
                {
                    foreach (var address in addresses)
                    {
                        if (Str(address) is { Length: > 0 } ip && seen.Add((ip, target)))
                        {
                            backends.Add(new Backend(ip, target, node));
                        }
                    }
                }
            }
        }

        // A stable order, so an unchanged set compares equal and round-robin does not restart needlessly.
        backends.Sort((a, b) => string.CompareOrdinal(a.Address, b.Address) is var c and not 0 ? c : a.Port.CompareTo(b.Port));
        return backends;
    }

    private static string? Str(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static int Int(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) ? i : 0;
}
