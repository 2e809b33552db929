using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Printing;

/// <summary>Label maps and selectors rendered the way Kubernetes' <c>labels</c> package prints them.</summary>
internal static class LabelFormat
{
    /// <summary><c>labels.FormatLabels</c>: sorted <c>k=v</c> pairs, or <c>&lt;none&gt;</c>.</summary>
    public static string Map(JsonNode? map)
    {
        if (map is not JsonObject obj || obj.Count == 0) return "<none>";
        return string.Join(",", obj
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => $"{p.Key}={JsonRead.Str(p.Value) ?? p.Value?.ToJsonString()}"));
    }

    /// <summary>A <c>LabelSelector</c> as <c>labels.Selector.String()</c>: requirements sorted by key.</summary>
    public static string Selector(JsonNode? selector)
    {
        if (selector is not JsonObject obj) return "";
        var parts = new List<(string Key, string Text)>();
        if (obj["matchLabels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels) parts.Add((key, $"{key}={JsonRead.Str(value)}"));
        }

        foreach (var expr in JsonRead.Objects(obj, "matchExpressions"))
        {
            var key = JsonRead.Str(expr, "key") ?? "";
            var values = string.Join(",", JsonRead.Strings(expr, "values").Order(StringComparer.Ordinal));
            var text = JsonRead.Str(expr, "operator") switch
            {
                "In" => $"{key} in ({values})",
                "NotIn" => $"{key} notin ({values})",
                "Exists" => key,
                "DoesNotExist" => "!" + key,
                var op => $"{key} {op} ({values})",
            };
            parts.Add((key, text));
        }

        return string.Join(",", parts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Text));
    }
}
