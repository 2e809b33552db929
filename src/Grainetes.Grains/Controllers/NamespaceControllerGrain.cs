using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;
using Microsoft.Extensions.Logging;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// Kubernetes' namespace controller for one namespace: gives a live namespace its <c>default</c>
/// ServiceAccount, and empties a terminating one before removing its <c>kubernetes</c> finalizer.
/// Woken by the namespace's writes; a timer retries while objects with finalizers linger.
/// </summary>
public sealed partial class NamespaceControllerGrain : Grain, INamespaceControllerGrain
{
    private readonly ResourceRegistry registry;
    private readonly ILogger<NamespaceControllerGrain> logger;
    private IGrainTimer? retry;

    public NamespaceControllerGrain(ResourceRegistry registry, ILogger<NamespaceControllerGrain> logger)
    {
        this.registry = registry;
        this.logger = logger;
    }

    public async Task Reconcile()
    {
        var name = this.GetPrimaryKeyString();
        var nsGrain = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("namespaces", "", name).GrainKey);
        var json = await nsGrain.Get();
        if (json is null)
        {
            StopRetrying();
            return;
        }

        var ns = JsonNode.Parse(json)!.AsObject();
        if (ns["metadata"]?["deletionTimestamp"] is null)
        {
            await EnsureDefaultServiceAccountAsync(name);
            return;
        }

        var remaining = 0;
        foreach (var type in registry.Stored.Where(t => t.Namespaced))
        {
            var names = await GrainFactory.GetGrain<IResourceCollectionGrain>(type.StorageKey).Names(name);
            remaining += names.Count;
            foreach (var objectName in names)
            {
                try
                {
                    await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(type.StorageKey, name, objectName).GrainKey).Delete(DeleteOptions.Default);
                }
                catch (ApiException ex) when (ex.Code == 404)
                {
                    // Already gone: what this loop wants.
                }
            }
        }

        if (remaining > 0)
        {
            // Deleted objects with finalizers linger until their owners finish; look again shortly.
            LogWaiting(name, remaining);
            retry ??= this.RegisterGrainTimer(_ => Reconcile(), new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)));
            return;
        }

        StopRetrying();
        var finalized = ns.DeepClone().AsObject();
        finalized["spec"] = new JsonObject { ["finalizers"] = new JsonArray() };
        try
        {
            await nsGrain.Update(finalized.ToJsonString(), new WriteOptions { Subresource = "finalize" });
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            // Removed or changed meanwhile; the next wake-up sees the new state.
        }
    }

    private async Task EnsureDefaultServiceAccountAsync(string ns)
    {
        var sa = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("serviceaccounts", ns, "default").GrainKey);
        if (await sa.Get() is not null)
        {
            return;
        }

        try
        {
            await sa.Create(new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ServiceAccount",
                ["metadata"] = new JsonObject { ["name"] = "default", ["namespace"] = ns },
            }.ToJsonString(), WriteOptions.Default);
        }
        catch (ApiException ex) when (ex.Code == 409)
        {
            // Created by an earlier wake-up.
        }
    }

    private void StopRetrying()
    {
        retry?.Dispose();
        retry = null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Namespace {Namespace} still holds {Remaining} objects")]
    private partial void LogWaiting(string @namespace, int remaining);
}
