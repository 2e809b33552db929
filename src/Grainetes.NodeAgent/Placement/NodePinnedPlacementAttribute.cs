using Orleans.Placement;

namespace Grainetes.NodeAgent.Placement;

/// <summary>Marks a grain class whose key is a node name as living on that node's silo.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class NodePinnedPlacementAttribute() : PlacementAttribute(new NodePinnedPlacement());
