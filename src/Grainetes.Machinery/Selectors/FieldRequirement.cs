namespace Grainetes.Machinery.Selectors;

/// <summary>One term of a field selector, such as <c>spec.nodeName=node-1</c>; the value is unescaped.</summary>
/// <param name="Field">The dotted JSON path, for example <c>metadata.name</c>.</param>
/// <param name="Operator">Whether the field must equal or differ from <paramref name="Value"/>.</param>
/// <param name="Value">The compared value; a missing field compares as the empty string.</param>
public sealed record FieldRequirement(string Field, FieldSelectorOperator Operator, string Value)
{
    /// <summary>The term in selector syntax, with the value escaped so it parses back the same.</summary>
    public override string ToString() =>
        $"{Field}{(Operator == FieldSelectorOperator.NotEquals ? "!=" : "=")}{FieldSelector.EscapeValue(Value)}";
}
