using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Validation;

/// <summary>Tolerant reads of wire JSON: a value of the wrong type reads as absent, leaving the type error to the decoder.</summary>
internal static class Json
{
    public static string? String(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>An integral JSON number, whatever .NET type backs the node; null for anything else.</summary>
    public static long? Integer(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) return null;
        var text = v.ToJsonString();
        if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var n)) return n;
        return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var x) && x == Math.Floor(x) && Math.Abs(x) < 9e18 ? (long)x : null;
    }

    public static IEnumerable<(int Index, JsonObject Item)> Items(JsonNode? node) =>
        node is JsonArray array ? array.Select((item, i) => (i, item)).Where(p => p.item is JsonObject).Select(p => (p.i, (JsonObject)p.item!)) : [];
}
