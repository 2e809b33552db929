namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// Empties and then removes a namespace being deleted, as Kubernetes' namespace controller does.
/// Keyed by the namespace's name; safe to call any number of times.
/// </summary>
public interface INamespaceControllerGrain : IGrainWithStringKey
{
    [OneWay]
    Task Reconcile();
}
