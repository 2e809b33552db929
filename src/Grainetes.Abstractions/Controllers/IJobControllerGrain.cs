namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Kubernetes' Job controller for one Job, keyed <c>namespace/name</c>: runs its pods to completion or failure, counting each finished pod exactly once. Safe to call any number of times.
/// </summary>
public interface IJobControllerGrain : IGrainWithStringKey
{
    /// <summary>Asks for a reconcile; calls that arrive while one runs are folded into one more run.</summary>
    [OneWay]
    Task Reconcile();
}
