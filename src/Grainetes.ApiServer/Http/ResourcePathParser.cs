using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;

namespace Grainetes.ApiServer.Http;

/// <summary>
/// Parses <c>/api/v1/...</c> and <c>/apis/{group}/{version}/...</c> resource paths:
/// <c>[namespaces/{ns}/]{plural}[/{name}[/{subresource}]]</c>.
/// </summary>
public sealed class ResourcePathParser(ResourceRegistry registry)
{
    /// <summary>Returns null when the path is a discovery path (no resource segment).</summary>
    public ResourceRequest? Parse(string group, string version, IReadOnlyList<string> segments)
    {
        if (segments.Count == 0)
        {
            return null;
        }

        string? ns = null;
        var rest = segments;
        if (segments[0] == "namespaces" && segments.Count >= 3 && registry.Find(group, version, segments[2]) is { Namespaced: true })
        {
            ns = segments[1];
            rest = segments.Skip(2).ToList();
        }

        var plural = rest[0];
        var type = registry.Find(group, version, plural)
            ?? throw new ApiException(404, "NotFound", $"the server could not find the requested resource (resource {plural} in {(group.Length == 0 ? version : group + "/" + version)})");
        if (rest.Count > 3)
        {
            throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        }

        var name = rest.Count >= 2 ? rest[1] : null;
        var sub = rest.Count == 3 ? rest[2] : "";
        if (sub.Length > 0 && !IsKnownSubresource(type, sub))
        {
            throw new ApiException(404, "NotFound", $"the server could not find the requested resource ({type.Plural}/{sub})");
        }

        if (type.Namespaced && ns is null && name is not null)
        {
            throw new ApiException(404, "NotFound", $"the server could not find the requested resource: {type.Plural} is namespaced");
        }

        return new ResourceRequest(type, ns, name, sub);
    }

    private static bool IsKnownSubresource(ResourceType type, string sub) => sub switch
    {
        "status" => type.HasStatus,
        "scale" => type.HasScale,
        "finalize" => type.StorageKey == "namespaces",
        "token" => type.StorageKey == "serviceaccounts",
        "binding" or "log" or "eviction" or "exec" or "attach" or "portforward" => type.StorageKey == "pods",
        _ => false,
    };
}
