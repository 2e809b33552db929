namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Kubernetes' CronJob controller for one CronJob, keyed <c>namespace/name</c>: creates a Job for each slot of its schedule, at most once per slot. Safe to call any number of times.
/// </summary>
public interface ICronJobControllerGrain : IGrainWithStringKey
{
    /// <summary>Asks for a reconcile; calls that arrive while one runs are folded into one more run.</summary>
    [OneWay]
    Task Reconcile();
}
