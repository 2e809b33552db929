using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Resources;

/// <summary>The <c>autoscaling/v1 Scale</c> view of an object with <c>spec.replicas</c>, and the way back.</summary>
public static class ScaleSubresource
{
    public static JsonObject ToScale(JsonObject obj)
    {
        var meta = obj["metadata"]?.AsObject();
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta?["name"]?.DeepClone(),
                ["namespace"] = meta?["namespace"]?.DeepClone(),
                ["uid"] = meta?["uid"]?.DeepClone(),
                ["resourceVersion"] = meta?["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = meta?["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = JsonNumbers.ToInt32(obj["spec"]?["replicas"]) ?? 0 },
            ["status"] = new JsonObject
            {
                ["replicas"] = JsonNumbers.ToInt32(obj["status"]?["replicas"]) ?? 0,
                ["selector"] = SelectorText(obj["spec"]?["selector"]),
            },
        };
    }

    /// <summary>Writes a Scale's desired replicas (and its version precondition) back onto the object.</summary>
    public static JsonObject FromScale(JsonObject obj, JsonObject scale)
    {
        var result = obj.DeepClone().AsObject();
        var spec = result["spec"] as JsonObject ?? new JsonObject();
        result["spec"] = spec;
        spec["replicas"] = JsonNumbers.ToInt32(scale["spec"]?["replicas"]) ?? 0;
        if (scale["metadata"]?["resourceVersion"] is JsonNode rv && result["metadata"] is JsonObject meta)
        {
            meta["resourceVersion"] = rv.DeepClone();
        }

        return result;
    }

    private static string SelectorText(JsonNode? selector)
    {
        if (selector?["matchLabels"] is not JsonObject labels)
        {
            return "";
        }

        return string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"));
    }
}
