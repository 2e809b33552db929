using System.Text.Json.Nodes;

namespace Grainetes.Grains.Store;

/// <summary>Reads the parts of an object's metadata that the store indexes.</summary>
internal static class JsonMeta
{
    public static IReadOnlyDictionary<string, string>? Labels(JsonObject obj)
    {
        if (obj["metadata"]?["labels"] is not JsonObject labels || labels.Count == 0)
        {
            return null;
        }

        var result = new Dictionary<string, string>(labels.Count, StringComparer.Ordinal);
        foreach (var (key, value) in labels)
        {
            result[key] = value?.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : value?.ToJsonString() ?? "";
        }

        return result;
    }

    public static IReadOnlyList<string> OwnerUids(JsonObject obj)
    {
        if (obj["metadata"]?["ownerReferences"] is not JsonArray owners || owners.Count == 0)
        {
            return [];
        }

        return owners.Select(o => o?["uid"]?.GetValue<string>()).OfType<string>().ToList();
    }

    public static CachedObject ToCached(long resourceVersion, string json)
    {
        var obj = JsonNode.Parse(json)!.AsObject();
        return new CachedObject(resourceVersion, json, Labels(obj), OwnerUids(obj));
    }
}
