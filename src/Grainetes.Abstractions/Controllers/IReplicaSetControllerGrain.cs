namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Kubernetes' ReplicaSet controller for one ReplicaSet, keyed <c>namespace/name</c>: keeps the number of
/// its pods at <c>spec.replicas</c> and reports them in its status. Safe to call any number of times.
/// </summary>
public interface IReplicaSetControllerGrain : IGrainWithStringKey
{
    /// <summary>Asks for a reconcile; calls that arrive while one runs are folded into one more run.</summary>
    [OneWay]
    Task Reconcile();
}
