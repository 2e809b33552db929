using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Patching;

// Placeholder until the full implementation lands; replaced wholesale on merge.
public static class ServerSideApply
{
    public static JsonObject Apply(JsonObject? live, JsonObject applied, Type modelType, string fieldManager) =>
        live is null ? applied.DeepClone().AsObject() : JsonMergePatch.Apply(live, applied);
}
