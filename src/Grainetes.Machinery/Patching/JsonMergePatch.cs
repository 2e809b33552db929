using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Patching;

// Placeholder until the full implementation lands; replaced wholesale on merge.
public static class JsonMergePatch
{
    public static JsonObject Apply(JsonObject target, JsonObject patch)
    {
        var result = target.DeepClone().AsObject();
        Merge(result, patch);
        return result;
    }

    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null)
            {
                target.Remove(key);
            }
            else if (value is JsonObject p && target[key] is JsonObject t)
            {
                Merge(t, p);
            }
            else
            {
                target[key] = value.DeepClone();
            }
        }
    }
}
