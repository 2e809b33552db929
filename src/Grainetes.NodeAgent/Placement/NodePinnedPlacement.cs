using Orleans.Runtime;

namespace Grainetes.NodeAgent.Placement;

/// <summary>
/// Places a grain keyed by a node name on the silo of that node (the silo whose name is the node's),
/// so a kubelet grain always runs beside the containers it manages.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class NodePinnedPlacement : PlacementStrategy
{
    public override bool IsUsingGrainDirectory => true;
}
