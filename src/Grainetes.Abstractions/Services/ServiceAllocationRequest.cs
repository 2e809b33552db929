namespace Grainetes.Abstractions.Services;

/// <summary>What one service write asks of the allocator.</summary>
[GenerateSerializer, Immutable, Alias("grainetes.ServiceAllocationRequest")]
public sealed record ServiceAllocationRequest
{
    /// <summary>The service, as <c>namespace/name</c>.</summary>
    [Id(0)] public required string Owner { get; init; }

    [Id(1)] public required string Uid { get; init; }

    /// <summary>Null: no cluster IP (headless, ExternalName). Empty: any free one. Otherwise exactly this one.</summary>
    [Id(2)] public string? ClusterIP { get; init; }

    /// <summary>One entry per port that needs a node port: 0 for any free one, else exactly that one.</summary>
    [Id(3)] public IReadOnlyList<int> NodePorts { get; init; } = [];

    /// <summary>A create: the owner's earlier holdings are stale and given up first.</summary>
    [Id(4)] public bool Replace { get; init; }

    /// <summary>Check and choose, but record nothing.</summary>
    [Id(5)] public bool DryRun { get; init; }
}
