namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Kubernetes' node lifecycle controller (one, keyed "default"): marks nodes whose lease went stale
/// <c>Ready=Unknown</c>, taints them unreachable, and evicts their pods after the eviction timeout.
/// </summary>
public interface INodeLifecycleControllerGrain : IGrainWithStringKey
{
    /// <summary>Activates it and starts its monitor; idempotent. A reminder keeps it alive across crashes.</summary>
    Task Start();
}
