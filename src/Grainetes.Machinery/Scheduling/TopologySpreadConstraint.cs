using Grainetes.Machinery.Selectors;

namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// One entry of <c>spec.topologySpreadConstraints</c>: pods matching <see cref="Selector"/> in the pod's namespace
/// may differ by at most <see cref="MaxSkew"/> between the domains (values of <see cref="TopologyKey"/>).
/// </summary>
public sealed record TopologySpreadConstraint(int MaxSkew, string TopologyKey, bool DoNotSchedule, LabelSelector Selector, int MinDomains);
