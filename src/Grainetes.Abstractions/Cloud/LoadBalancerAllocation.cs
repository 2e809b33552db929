namespace Grainetes.Abstractions.Cloud;

/// <summary>The address a LoadBalancer service got, or why it got none (a refusal is an answer, not an exception).</summary>
[GenerateSerializer, Immutable, Alias("grainetes.LoadBalancerAllocation")]
public sealed record LoadBalancerAllocation(
    [property: Id(0)] string? Address,
    [property: Id(1)] string? Error)
{
    public bool Succeeded => Error is null;
}
