using System.Text;

namespace Grainetes.Machinery.Patching;

/// <summary>An RFC 6901 JSON pointer split into its unescaped reference tokens.</summary>
internal sealed class JsonPointer
{
    private JsonPointer(string text, IReadOnlyList<string> tokens)
    {
        Text = text;
        Tokens = tokens;
    }

    public string Text { get; }

    public IReadOnlyList<string> Tokens { get; }

    public bool IsRoot => Tokens.Count == 0;

    public static bool TryParse(string text, out JsonPointer pointer)
    {
        pointer = new JsonPointer(text, []);
        if (text.Length == 0) return true;
        if (text[0] != '/') return false;

        var tokens = new List<string>();
        foreach (var raw in text[1..].Split('/'))
        {
            if (!TryUnescape(raw, out var token)) return false;
            tokens.Add(token);
        }

        pointer = new JsonPointer(text, tokens);
        return true;
    }

    /// <summary>Whether this pointer names a strict descendant of <paramref name="ancestor"/>.</summary>
    public bool IsStrictDescendantOf(JsonPointer ancestor) =>
        Tokens.Count > ancestor.Tokens.Count && ancestor.Tokens.Select((t, i) => t == Tokens[i]).All(same => same);

    public static string Escape(string token) => token.Replace("~", "~0").Replace("/", "~1");

    public override string ToString() => Text;

    // Only ~0 and ~1 are legal escapes; ~1 is decoded before ~0 would be wrong, so scan once.
    private static bool TryUnescape(string raw, out string token)
    {
        token = raw;
        if (!raw.Contains('~')) return true;
        var builder = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] != '~')
            {
                builder.Append(raw[i]);
                continue;
            }

            if (i + 1 >= raw.Length) return false;
            var next = raw[++i];
            if (next == '0') builder.Append('~');
            else if (next == '1') builder.Append('/');
            else return false;
        }

        token = builder.ToString();
        return true;
    }
}
