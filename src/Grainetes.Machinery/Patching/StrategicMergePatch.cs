using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Patching;

// Placeholder until the full implementation lands; replaced wholesale on merge.
public static class StrategicMergePatch
{
    public static JsonObject Apply(JsonObject target, JsonObject patch, Type modelType) => JsonMergePatch.Apply(target, patch);
}
