using System.Text;
using System.Text.Json.Nodes;
using static Grainetes.NodeAgent.Kubelet.PodJson;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>
/// The keys and bytes of a Secret or ConfigMap, as env vars and volumes both read them: Secret <c>data</c> and ConfigMap
/// <c>binaryData</c> decoded from base64, ConfigMap <c>data</c> as UTF-8.
/// </summary>
internal static class ConfigDataEntries
{
    /// <exception cref="FormatException">A value that should be base64 is not.</exception>
    public static Dictionary<string, byte[]> Read(string resource, JsonObject obj)
    {
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (resource == "secrets")
        {
            foreach (var (key, value) in Node(obj, "data") as JsonObject ?? [])
            {
                entries[key] = Convert.FromBase64String(Text(value));
            }

            // The API server folds stringData into data on every write; only a Secret stored before it did still has it.
            foreach (var (key, value) in Node(obj, "stringData") as JsonObject ?? [])
            {
                entries[key] = Encoding.UTF8.GetBytes(Text(value));
            }

            return entries;
        }

        foreach (var (key, value) in Node(obj, "data") as JsonObject ?? [])
        {
            entries[key] = Encoding.UTF8.GetBytes(Text(value));
        }

        foreach (var (key, value) in Node(obj, "binaryData") as JsonObject ?? [])
        {
            entries[key] = Convert.FromBase64String(Text(value));
        }

        return entries;
    }

    private static string Text(JsonNode? value) => value is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
