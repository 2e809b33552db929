namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Kubernetes' horizontal pod autoscaler for one HorizontalPodAutoscaler, keyed <c>namespace/name</c>: every sync
/// period it reads the pods' usage through the Metrics API's source, and sets its target's <c>/scale</c> and its own
/// status. Safe to call any number of times.
/// </summary>
public interface IHorizontalPodAutoscalerControllerGrain : IGrainWithStringKey
{
    /// <summary>Asks for a pass; calls that arrive while one runs are folded into one more.</summary>
    [OneWay]
    Task Reconcile();
}
