namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Kubernetes' default scheduler: binds each unscheduled pod to a node. One activation, keyed
/// <see cref="DefaultKey"/>, decides for the whole cluster, so decisions never double-book a node. It follows the
/// nodes' and pods' change logs on its own once active; <see cref="Wake"/> only activates it.
/// </summary>
public interface ISchedulerGrain : IGrainWithStringKey
{
    public const string DefaultKey = "default-scheduler";

    [OneWay]
    Task Wake();
}
