namespace Grainetes.Machinery.Patching;

/// <summary>
/// One key field of a server-side-apply associative list (<c>+listMapKey</c>). <see cref="Default"/> is the value
/// the API server defaults the field to, so an element that omits it still gets the key Kubernetes would record.
/// </summary>
public sealed record ListMapKey(string Name, string? Default = null);
