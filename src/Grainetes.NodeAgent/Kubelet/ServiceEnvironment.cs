using System.Globalization;
using System.Text.Json.Nodes;
using static Grainetes.NodeAgent.Kubelet.PodJson;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>
/// The variables the kubelet gives every container for the services it can see (Kubernetes'
/// pkg/kubelet/envvars): <c>{NAME}_SERVICE_HOST</c>/<c>_SERVICE_PORT</c>/<c>_SERVICE_PORT_{PORT}</c> and the
/// Docker-link style <c>{NAME}_PORT</c>, <c>{NAME}_PORT_{port}_{PROTO}</c> with <c>_PROTO</c>, <c>_PORT</c>, <c>_ADDR</c>.
/// </summary>
internal static class ServiceEnvironment
{
    /// <summary>The services of the default namespace every pod sees, service links or not.</summary>
    public const string MasterService = "kubernetes";

    /// <summary>
    /// Chooses the services a pod sees, as the kubelet's getServiceEnvVarMap: the <c>kubernetes</c> service of
    /// <c>default</c> always, every service of the pod's namespace when service links are on (a same-named
    /// service there wins over <c>default</c>'s).
    /// </summary>
    public static List<JsonObject> Visible(string podNamespace, bool serviceLinks, JsonObject? master, IEnumerable<JsonObject> inNamespace)
    {
        var chosen = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        if (serviceLinks)
        {
            foreach (var svc in inNamespace.Where(s => (Str(s, "metadata", "namespace") ?? podNamespace) == podNamespace))
            {
                chosen[Str(svc, "metadata", "name") ?? ""] = svc;
            }
        }

        if (master is not null && !chosen.ContainsKey(MasterService))
        {
            chosen[MasterService] = master;
        }

        return chosen.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList();
    }

    /// <summary>The variables of the given services, in Kubernetes' order; services without a cluster IP give none.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Variables(IEnumerable<JsonObject> services)
    {
        foreach (var svc in services)
        {
            var ip = Str(svc, "spec", "clusterIP");
            var ports = Objects(svc, "spec", "ports").ToList();
            if (string.IsNullOrEmpty(ip) || ip == "None" || ports.Count == 0)
            {
                continue;
            }

            var prefix = VariableName(Str(svc, "metadata", "name") ?? "");
            yield return new(prefix + "_SERVICE_HOST", ip);
            yield return new(prefix + "_SERVICE_PORT", Port(ports[0]));
            foreach (var port in ports)
            {
                if (Str(port, "name") is { Length: > 0 } portName)
                {
                    yield return new(prefix + "_SERVICE_PORT_" + VariableName(portName), Port(port));
                }
            }

            var host = ip.Contains(':', StringComparison.Ordinal) ? "[" + ip + "]" : ip;
            for (var i = 0; i < ports.Count; i++)
            {
                var protocol = Str(ports[i], "protocol") is { Length: > 0 } p ? p : "TCP";
                var number = Port(ports[i]);
                var url = $"{protocol.ToLowerInvariant()}://{host}:{number}";
                if (i == 0)
                {
                    // Docker special-cases the first port.
                    yield return new(prefix + "_PORT", url);
                }

                var portPrefix = $"{prefix}_PORT_{number}_{protocol.ToUpperInvariant()}";
                yield return new(portPrefix, url);
                yield return new(portPrefix + "_PROTO", protocol.ToLowerInvariant());
                yield return new(portPrefix + "_PORT", number);
                yield return new(portPrefix + "_ADDR", ip);
            }
        }
    }

    private static string VariableName(string name) => name.Replace('-', '_').ToUpperInvariant();

    private static string Port(JsonObject port) => (Node(port, "port") is JsonValue v && v.TryGetValue<int>(out var n) ? n : 0).ToString(CultureInfo.InvariantCulture);
}
