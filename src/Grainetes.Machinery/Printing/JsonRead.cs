using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Printing;

/// <summary>Tolerant reads of wire JSON: a missing or mistyped field reads as absent rather than throwing.</summary>
internal static class JsonRead
{
    public static JsonNode? Node(JsonNode? node, params string[] path)
    {
        foreach (var part in path)
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(part, out node)) return null;
        }

        return node;
    }

    public static string? Str(JsonNode? node, params string[] path) =>
        Node(node, path) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static string StrOr(JsonNode? node, string fallback, params string[] path)
    {
        var s = Str(node, path);
        return string.IsNullOrEmpty(s) ? fallback : s;
    }

    public static long? Int(JsonNode? node, params string[] path)
    {
        if (Node(node, path) is not JsonValue v) return null;
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<int>(out var i)) return i;
        if (v.TryGetValue<double>(out var d)) return (long)d;
        if (v.TryGetValue<JsonElement>(out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out l)) return l;
        return null;
    }

    public static bool Bool(JsonNode? node, params string[] path) =>
        Node(node, path) is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    public static IEnumerable<JsonObject> Objects(JsonNode? node, params string[] path) =>
        Node(node, path) is JsonArray a ? a.OfType<JsonObject>() : [];

    public static IEnumerable<string> Strings(JsonNode? node, params string[] path) =>
        Node(node, path) is JsonArray a
            ? a.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>())
            : [];

    public static int Count(JsonNode? node, params string[] path) => Node(node, path) switch
    {
        JsonObject o => o.Count,
        JsonArray a => a.Count,
        _ => 0,
    };

    public static DateTimeOffset? Time(JsonNode? node, params string[] path)
    {
        if (Node(node, path) is not JsonValue v) return null;
        if (v.TryGetValue<DateTimeOffset>(out var dto)) return dto;
        if (v.TryGetValue<DateTime>(out var dt)) return new DateTimeOffset(DateTime.SpecifyKind(dt, dt.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : dt.Kind));
        if (v.GetValueKind() == JsonValueKind.String
            && DateTimeOffset.TryParse(v.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out dto))
        {
            return dto;
        }

        return null;
    }

    public static string Age(JsonObject item, DateTimeOffset now) =>
        HumanDuration.Since(Time(item, "metadata", "creationTimestamp"), now);
}
