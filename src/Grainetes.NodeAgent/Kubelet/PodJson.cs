using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>Tolerant reads of pod JSON: a missing or mistyped field reads as absent rather than throwing.</summary>
internal static class PodJson
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

    public static long? Int(JsonNode? node, params string[] path)
    {
        if (Node(node, path) is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) return null;
        return long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null;
    }

    public static bool Bool(JsonNode? node, params string[] path) =>
        Node(node, path) is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    public static IEnumerable<JsonObject> Objects(JsonNode? node, params string[] path) =>
        Node(node, path) is JsonArray a ? a.OfType<JsonObject>() : [];

    public static IReadOnlyList<string>? Strings(JsonNode? node, params string[] path) =>
        Node(node, path) is JsonArray a
            ? a.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>()).ToList()
            : null;

    public static DateTimeOffset? Time(JsonNode? node, params string[] path) =>
        Str(node, path) is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    /// <summary>Kubernetes' <c>metav1.Time</c> form: RFC 3339 in UTC, whole seconds.</summary>
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>An int-or-string field (ports, for example) as its text.</summary>
    public static string? IntOrString(JsonNode? node, params string[] path) => Node(node, path) switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => null,
    };
}
