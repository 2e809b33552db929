using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Security;

/// <summary>One RBAC rule (<c>rbac.authorization.k8s.io/v1 PolicyRule</c>): what it allows, with <c>*</c> as Kubernetes reads it.</summary>
public sealed record PolicyRule(
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ApiGroups,
    IReadOnlyList<string> Resources,
    IReadOnlyList<string> ResourceNames,
    IReadOnlyList<string> NonResourceUrls)
{
    public static PolicyRule ForResources(string[] verbs, string[] apiGroups, string[] resources, string[]? resourceNames = null) =>
        new(verbs, apiGroups, resources, resourceNames ?? [], []);

    public static PolicyRule ForPaths(string[] verbs, string[] paths) => new(verbs, [], [], [], paths);

    public static PolicyRule FromJson(JsonNode? rule) => new(
        Strings(rule?["verbs"]), Strings(rule?["apiGroups"]), Strings(rule?["resources"]),
        Strings(rule?["resourceNames"]), Strings(rule?["nonResourceURLs"]));

    public JsonObject ToJson()
    {
        var json = new JsonObject();
        Add(json, "verbs", Verbs);
        Add(json, "apiGroups", ApiGroups);
        Add(json, "resources", Resources);
        Add(json, "resourceNames", ResourceNames);
        Add(json, "nonResourceURLs", NonResourceUrls);
        return json;
    }

    /// <summary>Kubernetes' <c>RuleAllows</c>.</summary>
    public bool Allows(RequestAttributes request)
    {
        if (!Matches(Verbs, request.Verb))
        {
            return false;
        }

        if (!request.IsResourceRequest)
        {
            return NonResourceUrls.Any(url => url == "*" || url == request.Path
                || (url.EndsWith('*') && request.Path.StartsWith(url[..^1], StringComparison.Ordinal)));
        }

        var combined = request.Subresource.Length == 0 ? request.Resource : request.Resource + "/" + request.Subresource;
        return Matches(ApiGroups, request.ApiGroup)
            && Resources.Any(r => r == "*" || r == combined
                || (request.Subresource.Length > 0 && r == "*/" + request.Subresource))
            && (ResourceNames.Count == 0 || (request.Name.Length > 0 && ResourceNames.Contains(request.Name, StringComparer.Ordinal)));
    }

    private static bool Matches(IReadOnlyList<string> allowed, string value) =>
        allowed.Any(a => a == "*" || a == value);

    private static string[] Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(n => n?.GetValue<string>() ?? "").ToArray() : [];

    private static void Add(JsonObject json, string name, IReadOnlyList<string> values)
    {
        if (values.Count > 0)
        {
            json[name] = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        }
    }
}
