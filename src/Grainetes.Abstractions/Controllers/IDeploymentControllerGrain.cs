namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Kubernetes' Deployment controller for one Deployment, keyed <c>namespace/name</c>: owns its ReplicaSets,
/// rolls out template changes (RollingUpdate or Recreate) and reports progress in its status.
/// </summary>
public interface IDeploymentControllerGrain : IGrainWithStringKey
{
    /// <summary>Asks for a reconcile; calls that arrive while one runs are folded into one more run.</summary>
    [OneWay]
    Task Reconcile();
}
