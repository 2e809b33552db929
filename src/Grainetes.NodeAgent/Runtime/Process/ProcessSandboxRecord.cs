namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>What the process runtime persists per pod sandbox (<c>sandbox.json</c>).</summary>
internal sealed record ProcessSandboxRecord
{
    public required string PodUid { get; init; }

    public required string Namespace { get; init; }

    public required string PodName { get; init; }

    public required string PodIP { get; init; }

    public required IReadOnlyDictionary<string, string> VolumePaths { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}
