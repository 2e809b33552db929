namespace Grainetes.Machinery.Selectors;

/// <summary>The operators of a label requirement, as in k8s.io/apimachinery/pkg/selection.</summary>
public enum LabelSelectorOperator
{
    /// <summary><c>key=value</c>.</summary>
    Equals,

    /// <summary><c>key==value</c>; matches like <see cref="Equals"/> but keeps its spelling in <c>ToString</c>, as Kubernetes does.</summary>
    DoubleEquals,

    /// <summary><c>key!=value</c>; also true when the label is absent.</summary>
    NotEquals,

    /// <summary><c>key in (a,b)</c>.</summary>
    In,

    /// <summary><c>key notin (a,b)</c>; also true when the label is absent.</summary>
    NotIn,

    /// <summary><c>key</c>.</summary>
    Exists,

    /// <summary><c>!key</c>.</summary>
    DoesNotExist,

    /// <summary><c>key&gt;5</c>: the label's value, read as an integer, is greater (used by node affinity).</summary>
    GreaterThan,

    /// <summary><c>key&lt;5</c>: the label's value, read as an integer, is less.</summary>
    LessThan,
}
