namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Kubernetes' Endpoints and EndpointSlice controllers for one Service, keyed <c>namespace/name</c>: keeps
/// the service's Endpoints and EndpointSlices equal to the pods its selector matches. Safe to call any
/// number of times.
/// </summary>
public interface IEndpointsControllerGrain : IGrainWithStringKey
{
    /// <summary>Asks for a reconcile; calls that arrive while one runs are folded into one more run.</summary>
    [OneWay]
    Task Reconcile();
}
