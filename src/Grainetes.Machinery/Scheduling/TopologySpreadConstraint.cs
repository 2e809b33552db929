using Grainetes.Machinery.Selectors;

namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// One entry of <c>spec.topologySpreadConstraints</c>: pods matching <see cref="Selector"/> in the pod's namespace
/// may differ by at most <see cref="MaxSkew"/> between the domains (values of <see cref="TopologyKey"/>).
/// <see cref="HonorTaints"/> is <c>nodeTaintsPolicy: Honor</c>: nodes whose taints the pod does not tolerate (an
/// unreachable host's, say) are then no domain, rather than a domain that stays empty.
/// </summary>
public sealed record TopologySpreadConstraint(int MaxSkew, string TopologyKey, bool DoNotSchedule, LabelSelector Selector, int MinDomains, bool HonorTaints = false);
