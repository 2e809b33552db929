using System.Text.Json;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using k8s.Models;

namespace Grainetes.Machinery.Selectors;

/// <summary>
/// A Kubernetes label selector: the <c>labelSelector=</c> query parameter, <c>kubectl -l</c>, and
/// <c>metav1.LabelSelector</c> fields such as a Deployment's <c>spec.selector</c>. Immutable.
/// </summary>
public sealed class LabelSelector
{
    private LabelSelector(IReadOnlyList<LabelRequirement> requirements, bool nothing)
    {
        // Kubernetes keeps requirements sorted by key, which makes ToString canonical.
        Requirements = requirements.OrderBy(r => r.Key, StringComparer.Ordinal).ToArray();
        IsNothing = nothing;
    }

    /// <summary>Matches every object (an empty selector).</summary>
    public static LabelSelector Everything { get; } = new([], nothing: false);

    /// <summary>Matches no object (what a null <c>metav1.LabelSelector</c> means).</summary>
    public static LabelSelector Nothing { get; } = new([], nothing: true);

    /// <summary>The terms, all of which must hold; sorted by key.</summary>
    public IReadOnlyList<LabelRequirement> Requirements { get; }

    public bool IsEverything => !IsNothing && Requirements.Count == 0;

    public bool IsNothing { get; }

    /// <summary>Parses selector text; null, empty or blank selects everything.</summary>
    /// <exception cref="ApiException">BadRequest with Kubernetes' parser message when the text is invalid.</exception>
    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Everything;
        return new LabelSelector(LabelSelectorParser.Parse(text), nothing: false);
    }

    /// <summary>Kubernetes' <c>metav1.LabelSelectorAsSelector</c>: null selects nothing, an empty selector everything.</summary>
    /// <exception cref="ApiException">BadRequest when a key, value or operator is invalid.</exception>
    public static LabelSelector FromModel(V1LabelSelector? selector)
    {
        if (selector is null) return Nothing;
        var matchLabels = selector.MatchLabels?.Select(p => (p.Key, p.Value)) ?? [];
        var expressions = selector.MatchExpressions?.Select(e => ((string?)e.Key, (string?)e.OperatorProperty, (IReadOnlyList<string>?)e.Values?.ToList())) ?? [];
        return Create(matchLabels.ToList(), expressions.ToList());
    }

    /// <summary>
    /// <see cref="FromModel"/> for a <c>metav1.LabelSelector</c> still in wire JSON, as objects flow through the server.
    /// A JSON null or a missing node selects nothing.
    /// </summary>
    public static LabelSelector FromJson(JsonNode? selector)
    {
        if (selector is not JsonObject obj) return Nothing;
        var matchLabels = new List<(string, string)>();
        if (obj["matchLabels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels) matchLabels.Add((key, ScalarText(value)));
        }

        var expressions = new List<(string?, string?, IReadOnlyList<string>?)>();
        if (obj["matchExpressions"] is JsonArray array)
        {
            foreach (var item in array.OfType<JsonObject>())
            {
                var values = (item["values"] as JsonArray)?.Select(ScalarText).ToList();
                expressions.Add((item["key"] is JsonValue k ? ScalarText(k) : null, item["operator"] is JsonValue o ? ScalarText(o) : null, values));
            }
        }

        return Create(matchLabels, expressions);
    }

    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        if (IsNothing) return false;
        foreach (var requirement in Requirements)
        {
            if (!requirement.Matches(labels)) return false;
        }

        return true;
    }

    /// <summary>Matches the object's <c>metadata.labels</c>.</summary>
    public bool Matches(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        if (IsNothing) return false;
        if (IsEverything) return true;
        return Matches(LabelsOf(obj));
    }

    /// <summary>
    /// The selector in its canonical text form (requirements sorted by key, values sorted), which
    /// <see cref="Parse"/> reads back to an equal selector. Nothing prints as "", as in Kubernetes.
    /// </summary>
    public override string ToString() => string.Join(",", Requirements.Select(r => r.ToString()));

    /// <summary>Reads <c>metadata.labels</c> of a wire-format object; non-string values are ignored.</summary>
    public static IReadOnlyDictionary<string, string> LabelsOf(JsonObject obj)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["metadata"] is JsonObject { } metadata && metadata["labels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String) result[key] = v.GetValue<string>();
            }
        }

        return result;
    }

    private static LabelSelector Create(
        IReadOnlyList<(string Key, string Value)> matchLabels,
        IReadOnlyList<(string? Key, string? Operator, IReadOnlyList<string>? Values)> expressions)
    {
        if (matchLabels.Count + expressions.Count == 0) return Everything;
        var requirements = new List<LabelRequirement>();
        try
        {
            foreach (var (key, value) in matchLabels)
            {
                requirements.Add(LabelSelectorParser.CreateRequirement(key, LabelSelectorOperator.Equals, [value]));
            }

            foreach (var (key, op, values) in expressions)
            {
                var parsed = op switch
                {
                    "In" => LabelSelectorOperator.In,
                    "NotIn" => LabelSelectorOperator.NotIn,
                    "Exists" => LabelSelectorOperator.Exists,
                    "DoesNotExist" => LabelSelectorOperator.DoesNotExist,
                    _ => throw ApiException.BadRequest($"{Validation.GoFormat.Quote(op ?? "")} is not a valid label selector operator"),
                };
                requirements.Add(LabelSelectorParser.CreateRequirement(key ?? "", parsed, values ?? []));
            }
        }
        catch (LabelSelectorSyntaxException e)
        {
            throw ApiException.BadRequest(e.Message);
        }

        return new LabelSelector(requirements, nothing: false);
    }

    private static string ScalarText(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        null => "",
        _ => node.ToJsonString(),
    };
}
