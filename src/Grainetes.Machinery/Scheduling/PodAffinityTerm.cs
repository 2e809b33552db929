using Grainetes.Machinery.Selectors;

namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// One pod (anti-)affinity term: the pods it is about (by labels, in <see cref="Namespaces"/>, or in every namespace
/// when <see cref="AllNamespaces"/>) and the topology key whose domains it speaks of. <see cref="Weight"/> is 0 for
/// required terms.
/// </summary>
public sealed record PodAffinityTerm(LabelSelector Selector, IReadOnlyList<string> Namespaces, bool AllNamespaces, string TopologyKey, int Weight)
{
    /// <summary>Whether <paramref name="other"/> is one of the pods the term names.</summary>
    public bool Matches(PodInfo other) =>
        (AllNamespaces || Namespaces.Contains(other.Namespace, StringComparer.Ordinal)) && Selector.Matches(other.Labels);
}
