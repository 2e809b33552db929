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

    // One pending retry per owner: a dependent that is itself deleted in the foreground notifies us again on every
    // retry of its owner, and each of those passes must not start a chain of timers of its own.
    private readonly Dictionary<string, IGrainTimer> retries = new(StringComparer.Ordinal);

    public GarbageCollectorGrain(ResourceRegistry registry, ILogger<GarbageCollectorGrain> logger)
    {
        this.registry = registry;
        this.logger = logger;
    }

    public async Task OwnerDeleted(string ownerResource, string ownerName, string ownerUid, string propagationPolicy)
    {
        if (retries.Remove(ownerUid, out var pending))
        {
            pending.Dispose();
        }

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
                        if (!result.Removed && propagationPolicy == "Foreground" && BlocksOwnerDeletion(result.Json, ownerUid))
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
        if (propagationPolicy is "Foreground" or "Orphan" && remaining == 0
            && !await ReleaseOwnerAsync(new ObjectKey(ownerResource, ns, ownerName), ownerUid, propagationPolicy == "Foreground" ? "foregroundDeletion" : "orphan"))
        {
            remaining++;
        }

        if (remaining > 0)
        {
            // Blocking dependents are still finishing (their finalizers, their kubelet); look again shortly.
            retries[ownerUid] = this.RegisterGrainTimer(
                _ => OwnerDeleted(ownerResource, ownerName, ownerUid, propagationPolicy),
                new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan) { KeepAlive = true });
        }
    }

    /// <summary>
    /// Only a dependent whose reference to the owner says <c>blockOwnerDeletion</c> holds a foreground deletion of the
    /// owner, as in Kubernetes; the others are deleted too, but the owner does not wait for them.
    /// </summary>
    private static bool BlocksOwnerDeletion(string dependentJson, string ownerUid) =>
        JsonNode.Parse(dependentJson)?["metadata"]?["ownerReferences"] is JsonArray owners
        && owners.Any(o => (string?)o?["uid"] == ownerUid && o?["blockOwnerDeletion"] is JsonValue b && b.TryGetValue<bool>(out var blocks) && blocks);

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

    /// <summary>
    /// Removes the owner's finalizer; false if it could not yet. Its own controller often writes the owner's status at
    /// the same moment (the dependents just changed), and nothing would wake us after losing that race: a conflict is
    /// retried on a fresh read, and after several the caller's timer tries again.
    /// </summary>
    private async Task<bool> ReleaseOwnerAsync(ObjectKey owner, string ownerUid, string finalizer)
    {
        var grain = GrainFactory.GetGrain<IObjectGrain>(owner.GrainKey);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var json = await grain.Get();
            if (json is null || JsonNode.Parse(json) is not JsonObject obj || (string?)obj["metadata"]?["uid"] != ownerUid)
            {
                return true;
            }

            if (obj["metadata"]?["finalizers"] is not JsonArray finalizers || !finalizers.Any(f => (string?)f == finalizer))
            {
                return true;
            }

            obj["metadata"]!["finalizers"] = new JsonArray(finalizers.Where(f => (string?)f != finalizer).Select(f => f!.DeepClone()).ToArray());
            try
            {
                await grain.Update(obj.ToJsonString(), WriteOptions.Default);
                return true;
            }
            catch (ApiException ex) when (ex.Code == 404)
            {
                return true;
            }
            catch (ApiException ex) when (ex.Code == 409)
            {
                LogReleaseConflict(owner.Resource, owner.Namespace, owner.Name, attempt + 1);
            }
        }

        return false;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Releasing {Resource} {Namespace}/{Name} conflicted with another write (attempt {Attempt}); reading it again")]
    private partial void LogReleaseConflict(string resource, string @namespace, string name, int attempt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Collected dependents of {Resource} {Namespace}/{Name} ({Policy})")]
    private partial void LogCollected(string resource, string @namespace, string name, string policy);
}
