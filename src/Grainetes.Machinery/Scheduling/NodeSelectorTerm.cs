namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// One term of required node affinity: all its expressions (on labels) and fields (on <c>metadata.name</c>)
/// must match. A term with neither matches no node, as in Kubernetes.
/// </summary>
public sealed record NodeSelectorTerm(IReadOnlyList<NodeSelectorRequirement> MatchExpressions, IReadOnlyList<NodeSelectorRequirement> MatchFields)
{
    public bool Matches(NodeInfo node)
    {
        if (MatchExpressions.Count == 0 && MatchFields.Count == 0)
        {
            return false;
        }

        foreach (var requirement in MatchExpressions)
        {
            if (!requirement.Matches(node.Labels.GetValueOrDefault(requirement.Key)))
            {
                return false;
            }
        }

        foreach (var field in MatchFields)
        {
            if (field.Key != "metadata.name" || !field.Matches(node.Name))
            {
                return false;
            }
        }

        return true;
    }
}
