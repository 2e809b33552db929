namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Kubernetes' DaemonSet controller for one DaemonSet, keyed <c>namespace/name</c>: keeps one pod on every node that should run it and reports them in its status. Safe to call any number of times.
/// </summary>
public interface IDaemonSetControllerGrain : IGrainWithStringKey
{
    /// <summary>Asks for a reconcile; calls that arrive while one runs are folded into one more run.</summary>
    [OneWay]
    Task Reconcile();
}
