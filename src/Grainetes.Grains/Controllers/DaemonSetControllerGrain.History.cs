using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Selectors;
using Microsoft.Extensions.Logging;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// The template history of Kubernetes' DaemonSet controller (pkg/controller/daemon/update.go): claim the
/// ControllerRevisions the selector matches, find the one holding the current template (or write it as the next
/// revision), renumber a template that came back as the newest, and prune old revisions no pod still runs.
/// </summary>
public sealed partial class DaemonSetControllerGrain
{
    private const string MergePatch = "application/merge-patch+json";

    /// <summary>
    /// The hash of the current revision and the older revisions; null when a name collision bumped
    /// <c>status.collisionCount</c> and the pass must start again.
    /// </summary>
    private async Task<(string Hash, List<JsonObject> Old)?> ConstructHistoryAsync(JsonObject ds, string ns, List<JsonObject> pods)
    {
        var uid = Uid(ds);
        var selector = LabelSelector.FromJson(ds["spec"]?["selector"]);
        var listed = (await GrainFactory.GetGrain<IResourceCollectionGrain>(DaemonSetHistory.Resource).List(new ListRequest { Namespace = ns })).Items
            .Select(Parse).ToList();

        // ClaimControllerRevisions: adopt matching orphans, release owned ones the selector no longer matches.
        var owned = new List<JsonObject>();
        foreach (var revision in listed.Where(r => !IsDeleting(r)))
        {
            var controller = ControllerRef(revision);
            var matches = !selector.IsEverything && selector.Matches(revision);
            if (controller is null && matches)
            {
                if (await PatchRevisionAsync(revision, AdoptPatch(revision, OwnerReference("DaemonSet", Name(ds), uid))) is { } adopted)
                {
                    owned.Add(adopted);
                }
            }
            else if (controller is not null && Str(controller["uid"]) == uid)
            {
                if (matches)
                {
                    owned.Add(revision);
                }
                else
                {
                    await PatchRevisionAsync(revision, ReleasePatch(revision, uid));
                }
            }
        }

        // A revision without the hash label (written by an older controller) is labelled with its own name.
        for (var i = 0; i < owned.Count; i++)
        {
            if (DaemonSetHistory.Hash(owned[i]) is null)
            {
                var patch = new JsonObject
                {
                    ["metadata"] = new JsonObject
                    {
                        ["resourceVersion"] = Str(owned[i]["metadata"]?["resourceVersion"]),
                        ["labels"] = new JsonObject { [RevisionLabel] = Name(owned[i]) },
                    },
                };
                owned[i] = await PatchRevisionAsync(owned[i], patch.ToJsonString()) ?? owned[i];
            }
        }

        var current = owned.Where(r => DaemonSetHistory.Matches(ds, r)).ToList();
        var old = owned.Except(current).ToList();
        var next = old.Select(DaemonSetHistory.Revision).DefaultIfEmpty(0).Max() + 1;
        JsonObject cur;
        if (current.Count == 0)
        {
            if (await SnapshotAsync(ds, ns, next) is not { } created)
            {
                return null;
            }

            cur = created;
        }
        else
        {
            cur = await DedupCurrentAsync(current, pods);
            if (DaemonSetHistory.Revision(cur) < next)
            {
                // The template went back to an old revision (rollout undo): it becomes the newest.
                var patch = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["resourceVersion"] = Str(cur["metadata"]?["resourceVersion"]) },
                    ["revision"] = next,
                };
                cur = await PatchRevisionAsync(cur, patch.ToJsonString())
                    ?? throw new InvalidOperationException($"ControllerRevision {Name(cur)} changed while it was renumbered");
                LogRenumbered(Name(cur), next);
            }
        }

        return (DaemonSetHistory.Hash(cur) ?? Name(cur), old);
    }

    /// <summary>Writes the current template as revision <paramref name="revision"/>; null after a hash collision.</summary>
    private async Task<JsonObject?> SnapshotAsync(JsonObject ds, string ns, long revision)
    {
        var collisionCount = Int(ds["status"]?["collisionCount"]);
        var hash = PodTemplateHash.Compute(ds["spec"]?["template"], collisionCount);
        var snapshot = DaemonSetHistory.Snapshot(ds, ns, hash, revision);
        var name = Name(snapshot);
        var grain = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(DaemonSetHistory.Resource, ns, name).GrainKey);
        try
        {
            var created = Parse(await grain.Create(snapshot.ToJsonString(), WriteOptions.Default));
            LogRevisionCreated(name, revision);
            return created;
        }
        catch (ApiException ex) when (ex.Code == 409)
        {
            if (await grain.Get() is not { } existingJson)
            {
                return null;
            }

            var existing = Parse(existingJson);
            if (DaemonSetHistory.Matches(ds, existing))
            {
                // Written by an earlier pass that did not live to see the answer.
                return existing;
            }

            // Another template owns the name: bump the collision count (conditional on the version read, so two
            // passes cannot both bump it) and try again with the hash it gives.
            var update = ds.DeepClone().AsObject();
            var status = update["status"] as JsonObject ?? new JsonObject();
            status["collisionCount"] = collisionCount + 1;
            update["status"] = status;
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("daemonsets.apps", ns, Name(ds)).GrainKey)
                .Update(update.ToJsonString(), new WriteOptions { Subresource = "status" });
            LogCollision(Name(ds), hash, collisionCount + 1);
            return null;
        }
    }

    /// <summary>Kubernetes' dedupCurHistories: keep the newest revision of the current template, move pods onto its hash.</summary>
    private async Task<JsonObject> DedupCurrentAsync(List<JsonObject> current, List<JsonObject> pods)
    {
        if (current.Count == 1)
        {
            return current[0];
        }

        var keep = current.OrderBy(DaemonSetHistory.Revision).Last();
        var keepHash = DaemonSetHistory.Hash(keep);
        foreach (var pod in pods.Where(p => LabelSelectorValue(p, RevisionLabel) != keepHash))
        {
            var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { [RevisionLabel] = keepHash } } };
            try
            {
                await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", Str(pod["metadata"]?["namespace"]) ?? "", Name(pod)).GrainKey)
                    .Patch(patch.ToJsonString(), new WriteOptions { PatchType = MergePatch });
            }
            catch (ApiException ex) when (ex.Code == 404)
            {
                // Gone meanwhile.
            }
        }

        foreach (var duplicate in current.Where(r => !ReferenceEquals(r, keep)))
        {
            await DeleteRevisionAsync(duplicate);
        }

        return keep;
    }

    /// <summary>Kubernetes' cleanupHistory: oldest first, beyond <c>revisionHistoryLimit</c>, skipping revisions pods still run.</summary>
    private async Task<bool> CleanupHistoryAsync(JsonObject ds, List<JsonObject> old, List<JsonObject> pods)
    {
        var toKill = old.Count - Int(ds["spec"]?["revisionHistoryLimit"], 10);
        if (toKill <= 0)
        {
            return false;
        }

        var liveHashes = pods.Select(p => LabelSelectorValue(p, RevisionLabel)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var changed = false;
        foreach (var revision in old.OrderBy(DaemonSetHistory.Revision))
        {
            if (toKill <= 0)
            {
                break;
            }

            if (DaemonSetHistory.Hash(revision) is { } hash && liveHashes.Contains(hash))
            {
                continue;
            }

            await DeleteRevisionAsync(revision);
            changed = true;
            toKill--;
        }

        return changed;
    }

    private async Task<JsonObject?> PatchRevisionAsync(JsonObject revision, string patch)
    {
        try
        {
            var json = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(DaemonSetHistory.Resource, Str(revision["metadata"]?["namespace"]) ?? "", Name(revision)).GrainKey)
                .Patch(patch, new WriteOptions { PatchType = MergePatch });
            return Parse(json);
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            // Changed or gone since the list: the next pass sees it as it is.
            return null;
        }
    }

    private async Task DeleteRevisionAsync(JsonObject revision)
    {
        try
        {
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(DaemonSetHistory.Resource, Str(revision["metadata"]?["namespace"]) ?? "", Name(revision)).GrainKey)
                .Delete(new DeleteOptions { PreconditionUid = Uid(revision) });
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            // Gone already.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Created ControllerRevision {Revision} as revision {Number}")]
    private partial void LogRevisionCreated(string revision, long number);

    [LoggerMessage(Level = LogLevel.Debug, Message = "ControllerRevision {Revision} is current again, as revision {Number}")]
    private partial void LogRenumbered(string revision, long number);

    [LoggerMessage(Level = LogLevel.Information, Message = "Hash collision for DaemonSet {DaemonSet} at {Hash}; collisionCount is now {Count}")]
    private partial void LogCollision(string daemonSet, string hash, int count);
}
