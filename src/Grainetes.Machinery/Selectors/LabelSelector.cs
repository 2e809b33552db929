using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Selectors;

// Placeholder until the full implementation lands; replaced wholesale on merge.
public sealed class LabelSelector
{
    private readonly List<(string Key, string Value)> equals = [];

    public static LabelSelector Parse(string? text)
    {
        var s = new LabelSelector();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', 2);
            s.equals.Add((kv[0].Trim(), kv.Length > 1 ? kv[1].Trim() : ""));
        }

        return s;
    }

    public bool IsEverything => equals.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string>? labels) =>
        equals.All(e => labels is not null && labels.TryGetValue(e.Key, out var v) && v == e.Value);

    public bool Matches(JsonObject obj) => Matches(obj["metadata"]?["labels"]?.AsObject().ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? ""));
}
