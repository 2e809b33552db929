using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using static Grainetes.NodeAgent.Kubelet.PodJson;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>
/// Resolves a container's environment as the kubelet does: the service variables first, then <c>envFrom</c>,
/// then <c>env</c> in order, each value expanded against what came before; ConfigMap, Secret and Service
/// references read through the host.
/// </summary>
internal sealed class EnvironmentResolver(IPodHost host, JsonObject pod, string? podIP)
{
    // Each object is read once per resolution so that one container sees one version of it.
    private readonly Dictionary<(string Resource, string Name), JsonObject?> cache = [];

    private string Namespace => Str(pod, "metadata", "namespace") ?? "default";

    public async Task<Dictionary<string, string>> ResolveAsync(JsonObject container, CancellationToken cancellationToken)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in await ServiceVariablesAsync(cancellationToken))
        {
            env[name] = value;
        }

        foreach (var source in Objects(container, "envFrom"))
        {
            var prefix = Str(source, "prefix") ?? "";
            var (resource, reference) = Node(source, "configMapRef") is JsonObject cm
                ? ("configmaps", cm)
                : Node(source, "secretRef") is JsonObject s ? ("secrets", s) : (null, null);
            if (resource is null || reference is null) continue;
            var name = Str(reference, "name") ?? "";
            var obj = await GetAsync(resource, name, cancellationToken);
            if (obj is null)
            {
                if (Bool(reference, "optional")) continue;
                throw new ContainerConfigException($"{Kind(resource).ToLowerInvariant()} \"{name}\" not found");
            }

            foreach (var (key, value) in Entries(resource, obj))
            {
                env[prefix + key] = value;
            }
        }

        foreach (var variable in Objects(container, "env"))
        {
            var name = Str(variable, "name");
            if (string.IsNullOrEmpty(name)) continue;
            if (Node(variable, "valueFrom") is JsonObject valueFrom)
            {
                var value = await ValueFromAsync(valueFrom, container, cancellationToken);
                if (value is not null) env[name] = value;
            }
            else
            {
                env[name] = VariableExpansion.Expand(Str(variable, "value") ?? "", n => env.GetValueOrDefault(n));
            }
        }

        return env;
    }

    /// <summary>The services that exist now (a service made later is not seen by a running container, as in Kubernetes).</summary>
    private async Task<List<KeyValuePair<string, string>>> ServiceVariablesAsync(CancellationToken cancellationToken)
    {
        var serviceLinks = Node(pod, "spec", "enableServiceLinks") is not JsonValue links || links.GetValueKind() != System.Text.Json.JsonValueKind.False;
        IReadOnlyList<JsonObject> inNamespace = serviceLinks ? await host.ListServicesAsync(Namespace, cancellationToken) : [];
        var master = Namespace == "default" && serviceLinks
            ? inNamespace.FirstOrDefault(s => Str(s, "metadata", "name") == ServiceEnvironment.MasterService)
            : await host.GetObjectAsync("services", "default", ServiceEnvironment.MasterService, cancellationToken);
        return ServiceEnvironment.Variables(ServiceEnvironment.Visible(Namespace, serviceLinks, master, inNamespace)).ToList();
    }

    private async Task<string?> ValueFromAsync(JsonObject valueFrom, JsonObject container, CancellationToken cancellationToken)
    {
        if (Node(valueFrom, "fieldRef") is JsonObject fieldRef)
        {
            var path = Str(fieldRef, "fieldPath") ?? "";
            return FieldValue(path) ?? throw new ContainerConfigException($"unsupported fieldPath \"{path}\"");
        }

        if (Node(valueFrom, "resourceFieldRef") is JsonObject resourceRef)
        {
            return ResourceValue(resourceRef, container);
        }

        var (resource, reference) = Node(valueFrom, "configMapKeyRef") is JsonObject cm
            ? ("configmaps", cm)
            : Node(valueFrom, "secretKeyRef") is JsonObject s ? ("secrets", s) : (null, null);
        if (resource is null || reference is null) return null;
        var name = Str(reference, "name") ?? "";
        var key = Str(reference, "key") ?? "";
        var optional = Bool(reference, "optional");
        var obj = await GetAsync(resource, name, cancellationToken);
        if (obj is null)
        {
            return optional ? null : throw new ContainerConfigException($"{Kind(resource).ToLowerInvariant()} \"{name}\" not found");
        }

        foreach (var (k, v) in Entries(resource, obj))
        {
            if (k == key) return v;
        }

        return optional ? null : throw new ContainerConfigException($"couldn't find key {key} in {Kind(resource)} {Namespace}/{name}");
    }

    /// <summary>The downward API's fields; null for a path it does not know.</summary>
    private string? FieldValue(string path)
    {
        switch (path)
        {
            case "metadata.name": return Str(pod, "metadata", "name") ?? "";
            case "metadata.namespace": return Namespace;
            case "metadata.uid": return Str(pod, "metadata", "uid") ?? "";
            case "spec.nodeName": return Str(pod, "spec", "nodeName") ?? host.NodeName;
            case "spec.serviceAccountName": return Str(pod, "spec", "serviceAccountName") ?? "";
            case "status.podIP": return podIP ?? "";
            case "status.podIPs": return podIP ?? "";
            case "status.hostIP": return host.HostIP;
            case "status.hostIPs": return host.HostIP;
        }

        foreach (var map in (string[])["labels", "annotations"])
        {
            var prefix = $"metadata.{map}['";
            if (path.StartsWith(prefix, StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal))
            {
                return Str(pod, "metadata", map, path[prefix.Length..^2]) ?? "";
            }
        }

        return null;
    }

    private static string ResourceValue(JsonObject reference, JsonObject container)
    {
        var resource = Str(reference, "resource") ?? "";
        var parts = resource.Split('.', 2);
        if (parts.Length != 2) throw new ContainerConfigException($"unsupported resource \"{resource}\"");
        var text = Str(container, "resources", parts[0], parts[1]);
        if (text is null && parts[0] == "requests") text = Str(container, "resources", "limits", parts[1]);
        var divisor = Quantity.TryParse(PodJson.IntOrString(reference, "divisor"), out var d) && d > 0 ? d : 1m;
        if (!Quantity.TryParse(text, out var value))
        {
            // An unset limit reads as the node's allocatable in Kubernetes; this node does not publish one, so 0.
            value = 0;
        }

        return decimal.Ceiling(value / divisor).ToString(CultureInfo.InvariantCulture);
    }

    private async Task<JsonObject?> GetAsync(string resource, string name, CancellationToken cancellationToken)
    {
        if (!cache.TryGetValue((resource, name), out var obj))
        {
            obj = await host.GetObjectAsync(resource, Namespace, name, cancellationToken);
            cache[(resource, name)] = obj;
        }

        return obj;
    }

    private static string Kind(string resource) => resource == "secrets" ? "Secret" : "ConfigMap";

    /// <summary>The key/value pairs of a ConfigMap or Secret, with Secret and binary data decoded from base64.</summary>
    private static IEnumerable<(string Key, string Value)> Entries(string resource, JsonObject obj)
    {
        Dictionary<string, byte[]> entries;
        try
        {
            entries = ConfigDataEntries.Read(resource, obj);
        }
        catch (FormatException)
        {
            throw new ContainerConfigException("secret data is not valid base64");
        }

        return entries.Select(e => (e.Key, Encoding.UTF8.GetString(e.Value)));
    }
}
