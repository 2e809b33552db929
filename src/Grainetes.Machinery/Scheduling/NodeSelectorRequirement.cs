using System.Globalization;

namespace Grainetes.Machinery.Scheduling;

/// <summary>One node affinity requirement: a label (or, for matchFields, <c>metadata.name</c>) and an operator.</summary>
public sealed record NodeSelectorRequirement(string Key, NodeSelectorOperator Operator, IReadOnlyList<string> Values)
{
    /// <summary>Whether a node's value for <see cref="Key"/> (null when absent) satisfies the requirement.</summary>
    public bool Matches(string? value) => Operator switch
    {
        NodeSelectorOperator.In => value is not null && Contains(value),
        NodeSelectorOperator.NotIn => value is null || !Contains(value),
        NodeSelectorOperator.Exists => value is not null,
        NodeSelectorOperator.DoesNotExist => value is null,

        // Kubernetes compares Gt/Lt as integers and treats an unparsable label as not matching.
        NodeSelectorOperator.Gt => TryInt(value, out var v) && Values.Count == 1 && TryInt(Values[0], out var limit) && v > limit,
        NodeSelectorOperator.Lt => TryInt(value, out var v2) && Values.Count == 1 && TryInt(Values[0], out var limit2) && v2 < limit2,
        _ => false,
    };

    private bool Contains(string value)
    {
        for (var i = 0; i < Values.Count; i++)
        {
            if (Values[i] == value)
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryInt(string? text, out long value)
    {
        value = 0;
        return text is not null && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }
}
