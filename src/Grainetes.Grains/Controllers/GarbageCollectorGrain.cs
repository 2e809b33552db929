using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;
using Microsoft.Extensions.Logging;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// Kubernetes' garbage collector for one namespace: when an owner goes, deletes its dependents
/// (Background, Foreground) or strips their owner references (Orphan), then lets a waiting owner go.
/// </summary>
public sealed partial class GarbageCollectorGrain : Grain, IGarbageCollectorGrain
{
    private readonly ResourceRegistry registry;
    private readonly ILogger<GarbageCollectorGrain> logger;

    public GarbageCollectorGrain(ResourceRegistry registry, ILogger<GarbageCollectorGrain> logger)
    {
        this.registry = registry;
        this.logger = logger;
    }

    public async Task OwnerDeleted(string ownerResource, string ownerName, string ownerUid, string propagationPolicy)
    {
        var ns = this.GetPrimaryKeyString();
        var remaining = 0;
        foreach (var type in registry.Stored)
        {
            var dependents = await GrainFactory.GetGrain<IResourceCollectionGrain>(type.StorageKey).Dependents(ownerUid);
            foreach (var dependent in dependents)
            {
                var slash = dependent.IndexOf('/', StringComparison.Ordinal);
                var key = new ObjectKey(type.StorageKey, dependent[..slash], dependent[(slash + 1)..]);
                var grain = GrainFactory.GetGrain<IObjectGrain>(key.GrainKey);
                try
                {
                    if (propagationPolicy == "Orphan")
                    {
                        await OrphanAsync(grain, ownerUid);
                    }
                    else
                    {
                        var result = await grain.Delete(new DeleteOptions { PropagationPolicy = propagationPolicy == "Foreground" ? "Foreground" : "Background" });
                        if (!result.Removed)
                        {
                            remaining++;
                        }
                    }
                }
                catch (ApiException ex) when (ex.Code is 404 or 409)
                {
                    // Gone or changed meanwhile.
                }
            }
        }

        LogCollected(ownerResource, ns, ownerName, propagationPolicy);
        if (propagationPolicy is "Foreground" or "Orphan" && remaining == 0)
        {
            await ReleaseOwnerAsync(new ObjectKey(ownerResource, ns, ownerName), ownerUid, propagationPolicy == "Foreground" ? "foregroundDeletion" : "orphan");
        }
        else if (remaining > 0)
        {
            // Foreground dependents are still finishing; look again shortly.
            this.RegisterGrainTimer(
                _ => OwnerDeleted(ownerResource, ownerName, ownerUid, propagationPolicy),
                new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan));
        }
    }

    private static async Task OrphanAsync(IObjectGrain grain, string ownerUid)
    {
        var json = await grain.Get();
        if (json is null || JsonNode.Parse(json)?["metadata"]?["ownerReferences"] is not JsonArray owners)
        {
            return;
        }

        var kept = new JsonArray(owners.Where(o => (string?)o?["uid"] != ownerUid).Select(o => o!.DeepClone()).ToArray());
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["ownerReferences"] = kept.Count == 0 ? null : kept } };
        await grain.Patch(patch.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" });
    }

    private async Task ReleaseOwnerAsync(ObjectKey owner, string ownerUid, string finalizer)
    {
        var grain = GrainFactory.GetGrain<IObjectGrain>(owner.GrainKey);
        var json = await grain.Get();
        if (json is null || JsonNode.Parse(json) is not JsonObject obj || (string?)obj["metadata"]?["uid"] != ownerUid)
        {
            return;
        }

        if (obj["metadata"]?["finalizers"] is not JsonArray finalizers)
        {
            return;
        }

        var kept = new JsonArray(finalizers.Where(f => (string?)f != finalizer).Select(f => f!.DeepClone()).ToArray());
        obj["metadata"]!["finalizers"] = kept;
        try
        {
            await grain.Update(obj.ToJsonString(), WriteOptions.Default);
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            // Changed meanwhile; whoever changed it will wake us again.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Collected dependents of {Resource} {Namespace}/{Name} ({Policy})")]
    private partial void LogCollected(string resource, string @namespace, string name, string policy);
}
