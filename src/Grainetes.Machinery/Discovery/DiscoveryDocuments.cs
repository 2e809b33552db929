using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Discovery;

/// <summary>
/// The discovery documents kubectl reads before anything else: <c>/api</c>, <c>/apis</c>, the per group-version
/// resource lists, the aggregated (<c>apidiscovery.k8s.io/v2</c>) forms of <c>/api</c> and <c>/apis</c>, and
/// <c>/version</c>. Built once from a registry; the serialized forms are cached for serving.
/// </summary>
public sealed class DiscoveryDocuments
{
    /// <summary>The media type kubectl asks for (and must get back) to use aggregated discovery.</summary>
    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    /// <summary>kubectl warns when the server is more than one minor version away, so claim the version it was built for.</summary>
    public const string Major = "1";

    public const string Minor = "32";

    public const string GitVersion = "v1.32.0-grainetes";

    public static IReadOnlyList<string> ResourceVerbs { get; } =
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    private static readonly string[] SubresourceVerbs = ["get", "patch", "update"];
    private static readonly string[] ConnectVerbs = ["create", "get"];

    private readonly ResourceRegistry registry;
    private readonly string serverAddress;
    private readonly Dictionary<string, CachedDocument> legacy = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CachedDocument> aggregated = new(StringComparer.Ordinal);

    /// <param name="serverAddress">Host and port clients reach the API server at, for <c>serverAddressByClientCIDRs</c>.</param>
    public DiscoveryDocuments(ResourceRegistry registry, string serverAddress)
    {
        this.registry = registry;
        this.serverAddress = serverAddress;

        legacy["/api"] = new CachedDocument(BuildApiVersions());
        legacy["/apis"] = new CachedDocument(BuildApiGroupList());
        legacy["/version"] = new CachedDocument(BuildVersion());
        foreach (var group in Groups().Keys.Where(g => g.Length > 0))
        {
            legacy["/apis/" + group] = new CachedDocument(BuildApiGroup(group)!);
        }

        foreach (var (group, versions) in Groups())
        {
            foreach (var version in versions)
            {
                legacy[ResourceListPath(group, version)] = new CachedDocument(BuildApiResourceList(group, version)!);
            }
        }

        aggregated["/api"] = new CachedDocument(BuildAggregated(core: true));
        aggregated["/apis"] = new CachedDocument(BuildAggregated(core: false));
    }

    /// <summary>URL path of a group-version's resource list: <c>/api/v1</c> or <c>/apis/apps/v1</c>.</summary>
    public static string ResourceListPath(string group, string version) =>
        group.Length == 0 ? "/api/" + version : $"/apis/{group}/{version}";

    /// <summary>
    /// The cached document served at <paramref name="path"/> (no query string, no trailing slash):
    /// <c>/api</c>, <c>/apis</c>, <c>/apis/{group}</c>, <c>/api/v1</c>, <c>/apis/{group}/{version}</c>, <c>/version</c>.
    /// With <paramref name="aggregatedDiscovery"/> only <c>/api</c> and <c>/apis</c> have documents.
    /// </summary>
    public bool TryGet(string path, bool aggregatedDiscovery, out CachedDocument document) =>
        (aggregatedDiscovery ? aggregated : legacy).TryGetValue(path, out document!);

    /// <summary>Subresources a kind has: <c>status</c> and <c>scale</c> from the registry, and the pod connect/log ones.</summary>
    public static IReadOnlyList<Subresource> SubresourcesOf(ResourceType type)
    {
        var list = new List<Subresource>();
        if (type.Group.Length == 0 && type.Kind == "Pod")
        {
            // The registry has no field for these yet; pods are the only kind that has them.
            list.Add(new Subresource("attach", "", "v1", "PodAttachOptions", ConnectVerbs));
            list.Add(new Subresource("exec", "", "v1", "PodExecOptions", ConnectVerbs));
            list.Add(new Subresource("log", "", "v1", "Pod", ["get"]));
            list.Add(new Subresource("portforward", "", "v1", "PodPortForwardOptions", ConnectVerbs));
        }

        if (type.HasScale) list.Add(new Subresource("scale", "autoscaling", "v1", "Scale", SubresourceVerbs));
        if (type.HasStatus) list.Add(new Subresource("status", type.Group, type.Version, type.Kind, SubresourceVerbs));
        return list;
    }

    /// <summary><c>GET /api</c>: the core group's <c>APIVersions</c>.</summary>
    public JsonObject BuildApiVersions() => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = Strings(Groups().GetValueOrDefault("") ?? []),
        ["serverAddressByClientCIDRs"] = ServerAddresses(),
    };

    /// <summary><c>GET /apis</c>: every named group with its versions, preferred first.</summary>
    public JsonObject BuildApiGroupList() => new()
    {
        ["kind"] = "APIGroupList",
        ["apiVersion"] = "v1",
        ["groups"] = new JsonArray(Groups().Where(g => g.Key.Length > 0).Select(g => (JsonNode?)GroupBody(g.Key, g.Value)).ToArray()),
    };

    /// <summary><c>GET /apis/{group}</c>; null for a group this server does not serve.</summary>
    public JsonObject? BuildApiGroup(string group)
    {
        if (group.Length == 0 || !Groups().TryGetValue(group, out var versions)) return null;
        var body = GroupBody(group, versions);
        var result = new JsonObject { ["kind"] = "APIGroup", ["apiVersion"] = "v1" };
        foreach (var (key, value) in body.ToList())
        {
            body.Remove(key);
            result[key] = value;
        }

        return result;
    }

    /// <summary><c>GET /api/v1</c> or <c>/apis/{group}/{version}</c>: the <c>APIResourceList</c>; null when not served.</summary>
    public JsonObject? BuildApiResourceList(string group, string version)
    {
        var types = registry.All.Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0) return null;
        var resources = new JsonArray();
        foreach (var type in types.OrderBy(t => t.Plural, StringComparer.Ordinal))
        {
            var resource = new JsonObject
            {
                ["name"] = type.Plural,
                ["singularName"] = type.Singular,
                ["namespaced"] = type.Namespaced,
                ["kind"] = type.Kind,
                ["verbs"] = Strings(type.Verbs ?? ResourceVerbs),
            };
            if (type.ShortNames.Count > 0) resource["shortNames"] = Strings(type.ShortNames);
            if (type.Categories.Count > 0) resource["categories"] = Strings(type.Categories);
            if (type.Stored) resource["storageVersionHash"] = StorageVersionHash(type);
            resources.Add(resource);

            foreach (var sub in SubresourcesOf(type))
            {
                var entry = new JsonObject
                {
                    ["name"] = $"{type.Plural}/{sub.Name}",
                    ["singularName"] = "",
                    ["namespaced"] = type.Namespaced,
                };
                if (sub.Group != type.Group) entry["group"] = sub.Group;
                if (sub.Version != type.Version || sub.Group != type.Group) entry["version"] = sub.Version;
                entry["kind"] = sub.Kind;
                entry["verbs"] = Strings(sub.Verbs);
                resources.Add(entry);
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    /// <summary>
    /// Aggregated discovery (<c>apidiscovery.k8s.io/v2 APIGroupDiscoveryList</c>): for <c>/api</c> when
    /// <paramref name="core"/>, otherwise for <c>/apis</c>. Served with <see cref="AggregatedContentType"/>.
    /// </summary>
    public JsonObject BuildAggregated(bool core)
    {
        var items = new JsonArray();
        foreach (var (group, versions) in Groups().Where(g => (g.Key.Length == 0) == core))
        {
            var versionArray = new JsonArray();
            foreach (var version in versions)
            {
                var resources = new JsonArray();
                foreach (var type in registry.All.Where(t => t.Group == group && t.Version == version).OrderBy(t => t.Plural, StringComparer.Ordinal))
                {
                    var resource = new JsonObject
                    {
                        ["resource"] = type.Plural,
                        ["responseKind"] = Gvk(type.Group, type.Version, type.Kind),
                        ["scope"] = type.Namespaced ? "Namespaced" : "Cluster",
                        ["singularResource"] = type.Singular,
                        ["verbs"] = Strings(type.Verbs ?? ResourceVerbs),
                    };
                    if (type.ShortNames.Count > 0) resource["shortNames"] = Strings(type.ShortNames);
                    if (type.Categories.Count > 0) resource["categories"] = Strings(type.Categories);
                    var subresources = SubresourcesOf(type);
                    if (subresources.Count > 0)
                    {
                        resource["subresources"] = new JsonArray(subresources.Select(s => (JsonNode?)new JsonObject
                        {
                            ["subresource"] = s.Name,
                            ["responseKind"] = Gvk(s.Group, s.Version, s.Kind),
                            ["verbs"] = Strings(s.Verbs),
                        }).ToArray());
                    }

                    resources.Add(resource);
                }

                versionArray.Add(new JsonObject
                {
                    ["version"] = version,
                    ["resources"] = resources,
                    ["freshness"] = "Current",
                });
            }

            var metadata = new JsonObject { ["creationTimestamp"] = null };
            if (group.Length > 0) metadata["name"] = group;
            items.Add(new JsonObject { ["metadata"] = metadata, ["versions"] = versionArray });
        }

        return new JsonObject
        {
            ["kind"] = "APIGroupDiscoveryList",
            ["apiVersion"] = "apidiscovery.k8s.io/v2",
            ["metadata"] = new JsonObject(),
            ["items"] = items,
        };
    }

    /// <summary><c>GET /version</c>.</summary>
    public JsonObject BuildVersion() => new()
    {
        ["major"] = Major,
        ["minor"] = Minor,
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2025-01-01T00:00:00Z",
        ["goVersion"] = RuntimeInformation.FrameworkDescription,
        ["compiler"] = "dotnet",
        ["platform"] = $"{OperatingSystemName()}/{ArchitectureName()}",
    };

    /// <summary>Groups in registry order, each with its versions ordered by Kubernetes priority (preferred first).</summary>
    private Dictionary<string, List<string>> Groups()
    {
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var type in registry.All)
        {
            if (!groups.TryGetValue(type.Group, out var versions)) groups[type.Group] = versions = [];
            if (!versions.Contains(type.Version)) versions.Add(type.Version);
        }

        foreach (var versions in groups.Values) versions.Sort(VersionPriority.Instance);
        return groups;
    }

    private static JsonObject GroupBody(string group, List<string> versions) => new()
    {
        ["name"] = group,
        ["versions"] = new JsonArray(versions.Select(v => (JsonNode?)GroupVersion(group, v)).ToArray()),
        ["preferredVersion"] = GroupVersion(group, versions[0]),
    };

    private static JsonObject GroupVersion(string group, string version) => new()
    {
        ["groupVersion"] = $"{group}/{version}",
        ["version"] = version,
    };

    private JsonArray ServerAddresses() =>
    [
        new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress },
    ];

    private static JsonObject Gvk(string group, string version, string kind) => new()
    {
        ["group"] = group,
        ["version"] = version,
        ["kind"] = kind,
    };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)v).ToArray());

    /// <summary>Opaque, stable per storage version; clients only compare it for equality.</summary>
    private static string StorageVersionHash(ResourceType type) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes($"{type.StoredAs ?? type.ApiVersion}, Kind={type.Kind}")).AsSpan(0, 8));

    private static string OperatingSystemName() =>
        OperatingSystem.IsLinux() ? "linux" : OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "darwin" : "unknown";

    private static string ArchitectureName() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        Architecture.X86 => "386",
        Architecture.Arm => "arm",
        var other => other.ToString().ToLowerInvariant(),
    };
}
