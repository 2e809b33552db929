using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Validation;

/// <summary>
/// Prints values the way Go's <c>%q</c>/<c>%#v</c> do, because Kubernetes error messages embed them
/// that way and clients (and people) compare against that text.
/// </summary>
internal static class GoFormat
{
    public static string Quote(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) text.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else text.Append(c);
                    break;
            }
        }

        return text.Append('"').ToString();
    }

    public static string StringList(IEnumerable<string> values) => "[]string{" + string.Join(", ", values.Select(Quote)) + "}";

    /// <summary>Go prints map keys sorted, so the message is stable.</summary>
    public static string StringMap(IEnumerable<KeyValuePair<string, string>> map) =>
        "map[string]string{" + string.Join(", ", map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{Quote(p.Key)}:{Quote(p.Value)}")) + "}";

    /// <summary>A JSON value as Kubernetes would print the Go value it decodes to.</summary>
    public static string Value(JsonNode? node) => node switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Quote(v.GetValue<string>()),
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };
}
