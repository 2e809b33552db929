using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Patching;

// Placeholder until the full implementation lands; replaced wholesale on merge.
public static class JsonPatch
{
    public static JsonObject Apply(JsonObject target, JsonArray operations) => target.DeepClone().AsObject();
}
