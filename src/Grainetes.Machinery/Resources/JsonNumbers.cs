using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Resources;

/// <summary>
/// Reads integers from JSON trees whatever backs them: a node parsed from text holds a JsonElement, one
/// built in code holds an int or a long, and <c>GetValue</c> converts between neither.
/// </summary>
public static class JsonNumbers
{
    public static long? ToInt64(JsonNode? node)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        return long.TryParse(value.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var result) ? result : null;
    }

    public static int? ToInt32(JsonNode? node) => ToInt64(node) is { } l and >= int.MinValue and <= int.MaxValue ? (int)l : null;
}
