using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Patching;

/// <summary>
/// Value semantics for JSON nodes: equality and identity keys that treat <c>1</c> and <c>1.0</c> as the same
/// number and ignore member order, as RFC 6902 <c>test</c> and list merge keys require.
/// </summary>
internal static class JsonValues
{
    public static bool DeepEquals(JsonNode? left, JsonNode? right)
    {
        var leftKind = KindOf(left);
        if (leftKind != KindOf(right)) return false;
        switch (leftKind)
        {
            case JsonValueKind.Null:
            case JsonValueKind.True:
            case JsonValueKind.False:
                return true;
            case JsonValueKind.Object:
            {
                var l = (JsonObject)left!;
                var r = (JsonObject)right!;
                if (l.Count != r.Count) return false;
                foreach (var (name, value) in l)
                {
                    if (!r.TryGetPropertyValue(name, out var other) || !DeepEquals(value, other)) return false;
                }

                return true;
            }

            case JsonValueKind.Array:
            {
                var l = (JsonArray)left!;
                var r = (JsonArray)right!;
                if (l.Count != r.Count) return false;
                for (var i = 0; i < l.Count; i++)
                {
                    if (!DeepEquals(l[i], r[i])) return false;
                }

                return true;
            }

            default:
                return ScalarKey(left) == ScalarKey(right);
        }
    }

    /// <summary>A string that is equal for equal scalars; used to match merge keys and set members.</summary>
    public static string ScalarKey(JsonNode? node)
    {
        switch (KindOf(node))
        {
            case JsonValueKind.Null: return "null";
            case JsonValueKind.True: return "true";
            case JsonValueKind.False: return "false";
            case JsonValueKind.String: return "s:" + GetString((JsonValue)node!);
            case JsonValueKind.Number:
            {
                var text = node!.ToJsonString();
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    ? "n:" + d.ToString("R", CultureInfo.InvariantCulture)
                    : "n:" + text;
            }

            default:
                return "j:" + node!.ToJsonString();
        }
    }

    public static JsonValueKind KindOf(JsonNode? node) => node?.GetValueKind() ?? JsonValueKind.Null;

    public static bool IsScalar(JsonNode? node) => node is null or JsonValue;

    public static string GetString(JsonValue value) =>
        value.TryGetValue<string>(out var s) ? s : JsonDocument.Parse(value.ToJsonString()).RootElement.GetString() ?? "";

    public static JsonNode? Clone(JsonNode? node) => node?.DeepClone();
}
