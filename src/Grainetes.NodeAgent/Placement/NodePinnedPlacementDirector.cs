using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Grainetes.NodeAgent.Placement;

/// <summary>
/// Finds the active silo named like the grain's key (silos take their node's name as <c>SiloName</c>).
/// No such silo means the node's host is down: activation fails rather than landing elsewhere.
/// </summary>
public sealed class NodePinnedPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var node = target.GrainIdentity.Key.ToString();
        var compatible = context.GetCompatibleSilos(target);
        var snapshot = membership.CurrentSnapshot;
        foreach (var silo in compatible)
        {
            if (snapshot.Members.TryGetValue(silo, out var member) && member.Status == SiloStatus.Active && member.Name == node)
            {
                return Task.FromResult(silo);
            }
        }

        throw new OrleansException($"No active silo serves node '{node}'; its node agent cannot run elsewhere.");
    }
}
