using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Admission;

/// <summary>Tolerant reads of objects that have not been validated yet.</summary>
public static class AdmissionJson
{
    public static string? Str(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    /// <summary>The node at <paramref name="path"/>, walking only through objects: null where anything else stands.</summary>
    public static JsonNode? At(JsonNode? node, params string[] path)
    {
        foreach (var field in path)
        {
            node = (node as JsonObject)?[field];
        }

        return node;
    }

    public static JsonObject Child(JsonObject parent, string field)
    {
        if (parent[field] is JsonObject child)
        {
            return child;
        }

        child = new JsonObject();
        parent[field] = child;
        return child;
    }
}
