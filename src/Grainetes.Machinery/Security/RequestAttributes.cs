namespace Grainetes.Machinery.Security;

/// <summary>
/// What a request asks to do, in the terms RBAC rules speak: a verb on a resource (with its group,
/// subresource, name and namespace), or a verb on a non-resource path such as <c>/healthz</c>.
/// </summary>
public sealed record RequestAttributes
{
    public required UserInfo User { get; init; }

    public required string Verb { get; init; }

    public bool IsResourceRequest { get; init; } = true;

    public string ApiGroup { get; init; } = "";

    public string Resource { get; init; } = "";

    public string Subresource { get; init; } = "";

    public string Name { get; init; } = "";

    public string Namespace { get; init; } = "";

    /// <summary>The URL path of a non-resource request.</summary>
    public string Path { get; init; } = "";
}
