namespace Grainetes.Machinery.Scheduling;

/// <summary>The operators of node affinity's <c>matchExpressions</c> and <c>matchFields</c>.</summary>
public enum NodeSelectorOperator
{
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}
