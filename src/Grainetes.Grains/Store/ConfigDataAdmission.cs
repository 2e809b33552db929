using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;

namespace Grainetes.Grains.Store;

/// <summary>
/// Kubernetes' update rules for Secrets and ConfigMaps: a Secret's <c>type</c> never changes, and once
/// <c>immutable: true</c> is stored neither the data nor the flag may change (such an object can only be deleted and
/// made again). Runs after defaulting, so a Secret's <c>stringData</c> is already folded into the data compared here.
/// </summary>
public sealed class ConfigDataAdmission : IObjectAdmission
{
    private const string FrozenMessage = "Forbidden: field is immutable when `immutable` is set";

    public bool Handles(string storageKey) => storageKey is "secrets" or "configmaps";

    public Task BeforeCreateAsync(ObjectAdmissionContext context, JsonObject obj) => Task.CompletedTask;

    public Task BeforeUpdateAsync(ObjectAdmissionContext context, JsonObject live, JsonObject updated)
    {
        var causes = new List<StatusCause>();
        var liveType = (string?)live["type"];
        if (context.Type.StorageKey == "secrets" && liveType is not null && (string?)updated["type"] != liveType)
        {
            causes.Add(new StatusCause("FieldValueInvalid", "type", $"Invalid value: \"{(string?)updated["type"]}\": field is immutable"));
        }

        if (IsTrue(live["immutable"]))
        {
            if (!IsTrue(updated["immutable"]))
            {
                causes.Add(new StatusCause("FieldValueForbidden", "immutable", FrozenMessage));
            }

            foreach (var field in new[] { "data", "binaryData" })
            {
                if (!JsonNode.DeepEquals(live[field], updated[field]))
                {
                    causes.Add(new StatusCause("FieldValueForbidden", field, FrozenMessage));
                }
            }
        }

        return causes.Count == 0 ? Task.CompletedTask : throw ApiException.Invalid(context.Type.Kind, context.Key.Name, causes, context.Type.Group);
    }

    public Task AfterCommitAsync(ObjectAdmissionContext context, JsonObject? previous, JsonObject obj, bool removed) => Task.CompletedTask;

    private static bool IsTrue(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var flag) && flag;
}
