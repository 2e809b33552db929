namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// The service controller of Kubernetes' cloud-controller-manager for one Service, keyed <c>namespace/name</c>:
/// keeps a <c>type: LoadBalancer</c> service's load balancer (through the configured cloud provider), its
/// <c>status.loadBalancer</c> and its cleanup finalizer in step with the service. Safe to call any number of times.
/// </summary>
public interface ILoadBalancerControllerGrain : IGrainWithStringKey
{
    /// <summary>Asks for a reconcile; calls that arrive while one runs are folded into one more run.</summary>
    [OneWay]
    Task Reconcile();
}
