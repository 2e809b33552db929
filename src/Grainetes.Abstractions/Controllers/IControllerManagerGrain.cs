namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Routes changes of ReplicaSets, Deployments, DaemonSets, Jobs, CronJobs, Services, Pods and Nodes to the controller
/// grains of the objects that own them (a node change wakes every DaemonSet), as Kubernetes' informers do for kube-controller-manager. Keyed <c>default</c>; follows the kinds'
/// change logs with long polls from activation on, and a reminder re-activates it and resyncs everything.
/// </summary>
public interface IControllerManagerGrain : IGrainWithStringKey
{
    /// <summary>Activates the manager and registers its reminder; idempotent, cheap to call from every silo.</summary>
    Task Start();

    /// <summary>Wakes the controller of every ReplicaSet, Deployment, DaemonSet, Job, CronJob and Service.</summary>
    [OneWay]
    Task Resync();
}
