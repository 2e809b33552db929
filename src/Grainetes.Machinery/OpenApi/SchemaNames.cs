using System.Collections.Frozen;
using System.Reflection;
using System.Text.RegularExpressions;
using Grainetes.Machinery.Resources;
using k8s.Models;

namespace Grainetes.Machinery.OpenApi;

/// <summary>
/// Kubernetes' OpenAPI definition names (<c>io.k8s.api.core.v1.PodSpec</c>) for k8s.Models types.
/// A nested type's group is not recorded in the model, so: types named after a served kind of a
/// named group (<c>V1DeploymentSpec</c>) belong to that group, a few are listed, the rest are core.
/// </summary>
internal sealed partial class SchemaNames
{
    private const string Meta = "io.k8s.apimachinery.pkg.apis.meta.v1.";

    private static readonly FrozenDictionary<string, string> Known = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["V1ObjectMeta"] = Meta + "ObjectMeta",
        ["V1ListMeta"] = Meta + "ListMeta",
        ["V1LabelSelector"] = Meta + "LabelSelector",
        ["V1LabelSelectorRequirement"] = Meta + "LabelSelectorRequirement",
        ["V1ManagedFieldsEntry"] = Meta + "ManagedFieldsEntry",
        ["V1OwnerReference"] = Meta + "OwnerReference",
        ["V1Status"] = Meta + "Status",
        ["V1StatusDetails"] = Meta + "StatusDetails",
        ["V1StatusCause"] = Meta + "StatusCause",
        ["V1DeleteOptions"] = Meta + "DeleteOptions",
        ["V1Preconditions"] = Meta + "Preconditions",
        ["V1Condition"] = Meta + "Condition",
        ["V1Patch"] = Meta + "Patch",
        ["V1WatchEvent"] = Meta + "WatchEvent",
        ["V1APIResource"] = Meta + "APIResource",
        ["V1APIResourceList"] = Meta + "APIResourceList",
        ["V1APIGroup"] = Meta + "APIGroup",
        ["V1APIGroupList"] = Meta + "APIGroupList",
        ["V1APIVersions"] = Meta + "APIVersions",
        ["V1GroupVersionForDiscovery"] = Meta + "GroupVersionForDiscovery",
        ["V1ServerAddressByClientCIDR"] = Meta + "ServerAddressByClientCIDR",
        ["V1RollingUpdateDeployment"] = "io.k8s.api.apps.v1.RollingUpdateDeployment",
        ["V1RollingUpdateDaemonSet"] = "io.k8s.api.apps.v1.RollingUpdateDaemonSet",
        ["V1RollingUpdateStatefulSetStrategy"] = "io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Short kind names (without version prefix) of served kinds outside the core group, with their group.</summary>
    private readonly List<(string Kind, string Group)> groupKinds;

    public SchemaNames(ResourceRegistry registry)
    {
        groupKinds = registry.All
            .Where(t => t.Group.Length > 0)
            .Select(t => (t.Kind, t.Group))
            .Append(("Scale", "autoscaling"))
            .OrderByDescending(k => k.Item1.Length)
            .ToList();
    }

    public string For(Type type)
    {
        if (Known.TryGetValue(type.Name, out var known)) return known;
        var m = Prefix().Match(type.Name);
        if (!m.Success) return "io.k8s.grainetes." + type.Name;
        var version = m.Groups["version"].Value.ToLowerInvariant();
        var shortName = m.Groups["name"].Value;
        string group;
        if (type.GetCustomAttribute<KubernetesEntityAttribute>() is { } entity)
        {
            group = entity.Group ?? "";
        }
        else if (m.Groups["group"].Success)
        {
            // Clashing names carry their group in the prefix: Corev1EndpointPort, Discoveryv1EndpointPort.
            group = m.Groups["group"].Value.ToLowerInvariant() is var g && g == "core" ? "" : g;
        }
        else
        {
            group = groupKinds.FirstOrDefault(k => shortName.StartsWith(k.Kind, StringComparison.Ordinal)).Group ?? "";
        }

        return $"{Package(group)}.{version}.{shortName}";
    }

    /// <summary>The Go package part of a definition name for an API group.</summary>
    public static string Package(string group) => group switch
    {
        "" => "io.k8s.api.core",
        "apiextensions.k8s.io" => "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions",
        "apiregistration.k8s.io" => "io.k8s.kube-aggregator.pkg.apis.apiregistration",
        _ => "io.k8s.api." + group.Split('.')[0],
    };

    [GeneratedRegex("^(?<group>[A-Z][a-z]+)?(?<version>[Vv][0-9]+(?:(?:alpha|beta)[0-9]+)?)(?<name>[A-Z].*)$")]
    private static partial Regex Prefix();
}
