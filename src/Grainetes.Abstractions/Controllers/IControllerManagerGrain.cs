namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Routes changes of ReplicaSets, Deployments, Pods and Services to the controller grains of the objects that
/// own or select them, as Kubernetes' informers do for kube-controller-manager. Keyed <c>default</c>; follows the kinds'
/// change logs with long polls from activation on, and a reminder re-activates it and resyncs everything.
/// </summary>
public interface IControllerManagerGrain : IGrainWithStringKey
{
    /// <summary>Activates the manager and registers its reminder; idempotent, cheap to call from every silo.</summary>
    Task Start();

    /// <summary>Wakes the controller of every ReplicaSet, Deployment and Service.</summary>
    [OneWay]
    Task Resync();
}
