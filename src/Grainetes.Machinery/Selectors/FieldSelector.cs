using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;

namespace Grainetes.Machinery.Selectors;

/// <summary>
/// A Kubernetes field selector (the <c>fieldSelector=</c> query parameter), after k8s.io/apimachinery/pkg/fields:
/// comma-separated <c>path=value</c>, <c>path==value</c> and <c>path!=value</c> terms, all of which must hold.
/// Fields are resolved generically against the object's wire JSON; which fields a kind allows is the
/// caller's decision (see <see cref="EnsureSupported"/>). Immutable.
/// </summary>
public sealed class FieldSelector
{
    private static readonly string[] TermOperators = ["!=", "==", "="];

    private FieldSelector(IReadOnlyList<FieldRequirement> requirements)
    {
        Requirements = requirements;
    }

    public static FieldSelector Everything { get; } = new([]);

    public IReadOnlyList<FieldRequirement> Requirements { get; }

    public bool IsEverything => Requirements.Count == 0;

    /// <summary>Parses selector text; null or empty selects everything.</summary>
    /// <exception cref="ApiException">BadRequest with Kubernetes' message when a term or escape is invalid.</exception>
    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return Everything;

        // Kubernetes sorts the raw terms before parsing, which is what makes ToString canonical.
        var terms = SplitTerms(text).Order(StringComparer.Ordinal).ToList();
        var requirements = new List<FieldRequirement>();
        foreach (var term in terms)
        {
            if (term.Length == 0) continue;
            if (!SplitTerm(term, out var field, out var op, out var rawValue))
            {
                throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            }

            var value = UnescapeValue(rawValue);
            requirements.Add(new FieldRequirement(field, op == "!=" ? FieldSelectorOperator.NotEquals : FieldSelectorOperator.Equals, value));
        }

        return requirements.Count == 0 ? Everything : new FieldSelector(requirements);
    }

    public bool Matches(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        foreach (var requirement in Requirements)
        {
            var actual = ResolveField(obj, requirement.Field);
            var equal = string.Equals(actual, requirement.Value, StringComparison.Ordinal);
            if (equal != (requirement.Operator == FieldSelectorOperator.Equals)) return false;
        }

        return true;
    }

    /// <summary>
    /// The value an <c>=</c>/<c>==</c> term requires of <paramref name="field"/>, or null when there is none;
    /// lets a store look up, say, <c>metadata.name</c> directly instead of scanning.
    /// </summary>
    public string? ExactValue(string field) =>
        Requirements.FirstOrDefault(r => r.Operator == FieldSelectorOperator.Equals && r.Field == field)?.Value;

    /// <summary>Refuses fields a kind does not offer for selection, with the API server's message.</summary>
    /// <exception cref="ApiException">BadRequest "field label not supported: ..." for the first unsupported field.</exception>
    public void EnsureSupported(IEnumerable<string> supportedFields)
    {
        var supported = supportedFields as IReadOnlySet<string> ?? supportedFields.ToHashSet(StringComparer.Ordinal);
        foreach (var requirement in Requirements)
        {
            if (!supported.Contains(requirement.Field)) throw ApiException.BadRequest($"field label not supported: {requirement.Field}");
        }
    }

    /// <summary>The selector in canonical form: terms sorted, '=' for equality, values escaped.</summary>
    public override string ToString() => string.Join(",", Requirements.Select(r => r.ToString()));

    /// <summary>
    /// The text of the field at a dotted path of a wire-format object: strings as they are, booleans as
    /// "true"/"false", numbers as written, and a missing or null field as "" (so <c>spec.nodeName=</c>
    /// selects unscheduled pods).
    /// </summary>
    public static string ResolveField(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var segment in path.Split('.'))
        {
            if (node is not JsonObject current || !current.TryGetPropertyValue(segment, out node)) return "";
        }

        return node switch
        {
            null => "",
            JsonValue value => value.GetValueKind() switch
            {
                JsonValueKind.String => value.GetValue<string>(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Null => "",
                _ => value.ToJsonString(),
            },
            _ => node.ToJsonString(),
        };
    }

    /// <summary>Escapes '\', ',' and '=' so that a value can be written into selector text.</summary>
    public static string EscapeValue(string value) =>
        value.Replace(@"\", @"\\", StringComparison.Ordinal)
            .Replace(",", @"\,", StringComparison.Ordinal)
            .Replace("=", @"\=", StringComparison.Ordinal);

    /// <summary>Undoes <see cref="EscapeValue"/>; any other escape, or a bare ',' or '=', is an error as in Kubernetes.</summary>
    /// <exception cref="ApiException">BadRequest for an invalid escape sequence or unescaped character.</exception>
    public static string UnescapeValue(string value)
    {
        if (value.IndexOfAny(['\\', ',', '=']) < 0) return value;
        var text = new StringBuilder(value.Length);
        var inSlash = false;
        foreach (var c in value)
        {
            if (inSlash)
            {
                if (c is not ('\\' or ',' or '=')) throw ApiException.BadRequest($"invalid field selector: invalid escape sequence: \\{c}");
                text.Append(c);
                inSlash = false;
                continue;
            }

            switch (c)
            {
                case '\\': inSlash = true; break;
                case ',' or '=': throw ApiException.BadRequest($"invalid field selector: unescaped character in value: {c}");
                default: text.Append(c); break;
            }
        }

        if (inSlash) throw ApiException.BadRequest("invalid field selector: invalid escape sequence: \\");
        return text.ToString();
    }

    /// <summary>Splits on commas that are not escaped; the escapes themselves stay for <see cref="UnescapeValue"/>.</summary>
    private static List<string> SplitTerms(string text)
    {
        var terms = new List<string>();
        var start = 0;
        var inSlash = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (inSlash) inSlash = false;
            else if (text[i] == '\\') inSlash = true;
            else if (text[i] == ',')
            {
                terms.Add(text[start..i]);
                start = i + 1;
            }
        }

        terms.Add(text[start..]);
        return terms;
    }

    /// <summary>The first operator occurrence splits the term; "!=" and "==" win over "=" at the same place.</summary>
    private static bool SplitTerm(string term, out string field, out string op, out string value)
    {
        for (var i = 0; i < term.Length; i++)
        {
            foreach (var candidate in TermOperators)
            {
                if (string.CompareOrdinal(term, i, candidate, 0, candidate.Length) == 0)
                {
                    field = term[..i];
                    op = candidate;
                    value = term[(i + candidate.Length)..];
                    return true;
                }
            }
        }

        field = op = value = "";
        return false;
    }
}
