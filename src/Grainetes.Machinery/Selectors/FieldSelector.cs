using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Selectors;

// Placeholder until the full implementation lands; replaced wholesale on merge.
public sealed class FieldSelector
{
    private readonly List<(string Path, string Value)> equals = [];

    public static FieldSelector Parse(string? text)
    {
        var s = new FieldSelector();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', 2);
            s.equals.Add((kv[0].Trim(), kv.Length > 1 ? kv[1].Trim() : ""));
        }

        return s;
    }

    public bool IsEverything => equals.Count == 0;

    public string? ExactValue(string path) => equals.Where(e => e.Path == path).Select(e => e.Value).FirstOrDefault();

    public bool Matches(JsonObject obj) => equals.All(e =>
    {
        JsonNode? node = obj;
        foreach (var p in e.Path.Split('.'))
        {
            node = node?[p];
        }

        return (node?.ToString() ?? "") == e.Value;
    });
}
