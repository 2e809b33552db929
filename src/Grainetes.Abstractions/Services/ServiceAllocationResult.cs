namespace Grainetes.Abstractions.Services;

/// <summary>
/// The allocator's answer: the cluster IP and node ports (in request order), or why not — a field path
/// relative to <c>spec</c> (<c>clusterIPs</c>, <c>ports[i].nodePort</c> by request index) and a message.
/// Refusals are answers, not exceptions, so the caller can word them as the API server does.
/// </summary>
[GenerateSerializer, Immutable, Alias("grainetes.ServiceAllocationResult")]
public sealed record ServiceAllocationResult
{
    [Id(0)] public string? ClusterIP { get; init; }

    [Id(1)] public IReadOnlyList<int> NodePorts { get; init; } = [];

    /// <summary>Null on success; <c>clusterIPs</c> or the index of the refused node port as <c>nodePort:i</c>.</summary>
    [Id(2)] public string? ErrorField { get; init; }

    [Id(3)] public string? ErrorValue { get; init; }

    [Id(4)] public string? ErrorMessage { get; init; }

    /// <summary>True when the range is full (Kubernetes answers 500 then, not 422).</summary>
    [Id(5)] public bool Exhausted { get; init; }

    public bool Succeeded => ErrorField is null;
}
