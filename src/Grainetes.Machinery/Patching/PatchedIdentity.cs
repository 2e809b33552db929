using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;

namespace Grainetes.Machinery.Patching;

/// <summary>
/// A patch may not rename or move the object it patches: Kubernetes refuses it with 400 rather than writing the change
/// somewhere else or dropping it without a word.
/// </summary>
public static class PatchedIdentity
{
    /// <exception cref="ApiException">400 when the patched object names another object or namespace.</exception>
    public static void Require(JsonObject patched, string name, string? @namespace)
    {
        ArgumentNullException.ThrowIfNull(patched);
        var meta = patched["metadata"] as JsonObject;
        if (meta?["name"] is JsonValue n && n.TryGetValue<string>(out var patchedName) && patchedName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({patchedName}) does not match the name on the URL ({name})");
        }

        if (!string.IsNullOrEmpty(@namespace) && meta?["namespace"] is JsonValue ns && ns.TryGetValue<string>(out var patchedNamespace)
            && patchedNamespace.Length > 0 && patchedNamespace != @namespace)
        {
            throw ApiException.BadRequest($"the namespace of the object ({patchedNamespace}) does not match the namespace on the URL ({@namespace})");
        }
    }
}
