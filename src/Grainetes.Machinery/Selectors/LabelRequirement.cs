using System.Text;

namespace Grainetes.Machinery.Selectors;

/// <summary>
/// One term of a label selector. Values are kept sorted (ordinal) so that equal requirements print
/// and compare alike; construct through <see cref="LabelSelector"/> to get validation.
/// </summary>
public sealed record LabelRequirement
{
    internal LabelRequirement(string key, LabelSelectorOperator op, IEnumerable<string> values)
    {
        Key = key;
        Operator = op;
        Values = values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
    }

    public string Key { get; }

    public LabelSelectorOperator Operator { get; }

    public IReadOnlyList<string> Values { get; }

    public bool Matches(IReadOnlyDictionary<string, string>? labels)
    {
        string? value = null;
        var has = labels is not null && labels.TryGetValue(Key, out value);
        return Operator switch
        {
            LabelSelectorOperator.Equals or LabelSelectorOperator.DoubleEquals or LabelSelectorOperator.In =>
                has && Values.Contains(value!, StringComparer.Ordinal),
            LabelSelectorOperator.NotEquals or LabelSelectorOperator.NotIn =>
                !has || !Values.Contains(value!, StringComparer.Ordinal),
            LabelSelectorOperator.Exists => has,
            LabelSelectorOperator.DoesNotExist => !has,
            LabelSelectorOperator.GreaterThan or LabelSelectorOperator.LessThan => CompareNumbers(has, value),
            _ => false,
        };
    }

    private bool CompareNumbers(bool has, string? value)
    {
        if (!has || Values.Count != 1) return false;
        if (!long.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var actual)) return false;
        if (!long.TryParse(Values[0], System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var bound)) return false;
        return Operator == LabelSelectorOperator.GreaterThan ? actual > bound : actual < bound;
    }

    public bool Equals(LabelRequirement? other) =>
        other is not null && Key == other.Key && Operator == other.Operator && Values.SequenceEqual(other.Values, StringComparer.Ordinal);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Key, StringComparer.Ordinal);
        hash.Add(Operator);
        foreach (var value in Values) hash.Add(value, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    /// <summary>The requirement in selector syntax, as Kubernetes' <c>Requirement.String()</c> writes it.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        if (Operator == LabelSelectorOperator.DoesNotExist) text.Append('!');
        text.Append(Key);
        switch (Operator)
        {
            case LabelSelectorOperator.Equals: text.Append('='); break;
            case LabelSelectorOperator.DoubleEquals: text.Append("=="); break;
            case LabelSelectorOperator.NotEquals: text.Append("!="); break;
            case LabelSelectorOperator.In: text.Append(" in "); break;
            case LabelSelectorOperator.NotIn: text.Append(" notin "); break;
            case LabelSelectorOperator.GreaterThan: text.Append('>'); break;
            case LabelSelectorOperator.LessThan: text.Append('<'); break;
            default: return text.ToString();
        }

        if (Operator is LabelSelectorOperator.In or LabelSelectorOperator.NotIn)
        {
            text.Append('(').AppendJoin(',', Values).Append(')');
        }
        else
        {
            text.Append(Values.Count > 0 ? Values[0] : "");
        }

        return text.ToString();
    }
}
