using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;

namespace Grainetes.Machinery.Patching;

/// <summary>Applies a patch of any of Kubernetes' four patch types to a live object, by its content type.</summary>
public static class PatchApplier
{
    /// <param name="target">The live object; merge and JSON patches may change it in place, so pass a copy.</param>
    /// <param name="model">The object's <c>k8s.Models</c> type, for strategic merge and server-side apply.</param>
    /// <exception cref="ApiException">400 for a patch of the wrong shape, 415 for an unknown patch type.</exception>
    public static JsonObject Apply(JsonObject target, string patchType, JsonNode? patch, Type model, string? fieldManager)
    {
        ArgumentNullException.ThrowIfNull(patchType);
        return patchType switch
        {
            "application/merge-patch+json" => JsonMergePatch.Apply(target, RequireObject(patch)),
            "application/strategic-merge-patch+json" => StrategicMergePatch.Apply(target, RequireObject(patch), model),
            "application/json-patch+json" => JsonPatch.Apply(target, patch as JsonArray ?? throw ApiException.BadRequest("a JSON patch must be an array of operations")),
            _ when patchType.StartsWith("application/apply-patch", StringComparison.Ordinal) =>
                ServerSideApply.Apply(target, RequireObject(patch), model, fieldManager ?? "unknown"),
            _ => throw ApiException.UnsupportedMediaType(patchType),
        };
    }

    private static JsonObject RequireObject(JsonNode? node) =>
        node as JsonObject ?? throw ApiException.BadRequest("the patch must be a JSON object");
}
