namespace Grainetes.Machinery.Selectors;

/// <summary>
/// Operators of a field selector term. Kubernetes reads <c>==</c> as <c>=</c> and prints it as <c>=</c>,
/// so there is no separate double-equals member.
/// </summary>
public enum FieldSelectorOperator
{
    Equals,
    NotEquals,
}
