using Grainetes.Machinery.Resources;

namespace Grainetes.ApiServer.Http;

/// <summary>A request path resolved against the registry: which kind, namespace, object and subresource.</summary>
public sealed record ResourceRequest(ResourceType Type, string? Namespace, string? Name, string Subresource)
{
    public bool IsCollection => Name is null;
}
