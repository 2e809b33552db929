using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Events;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Selectors;
using Microsoft.Extensions.Logging;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// Kubernetes' ReplicaSet controller for one ReplicaSet: claims the pods its selector matches, creates
/// or deletes pods until the active ones number <c>spec.replicas</c>, and writes what it sees to /status.
/// Every pass starts from the store, so running twice, late or on another silo changes nothing.
/// </summary>
public sealed partial class ReplicaSetControllerGrain : ReconcilerGrain, IReplicaSetControllerGrain
{
    public const string Component = "replicaset-controller";

    /// <summary>Kubernetes' burstReplicas: the most pods one pass creates or deletes.</summary>
    private const int BurstReplicas = 500;

    private const string NameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly EventRecorder events;
    private readonly ILogger<ReplicaSetControllerGrain> logger;

    public ReplicaSetControllerGrain(EventRecorder events, TimeProvider time, ILogger<ReplicaSetControllerGrain> logger)
        : base(logger, time)
    {
        this.events = events;
        this.logger = logger;
    }

    private protected override async Task<ReconcileOutcome> ReconcileOnceAsync()
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var json = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("replicasets.apps", ns, name).GrainKey).Get();
        if (json is null)
        {
            return ReconcileOutcome.Gone;
        }

        var rs = Parse(json);
        var uid = Uid(rs);
        var spec = rs["spec"] as JsonObject ?? new JsonObject();
        var selector = LabelSelector.FromJson(spec["selector"]);
        var replicas = Int(spec["replicas"], 1);
        var minReadySeconds = Int(spec["minReadySeconds"]);
        var rsDeleting = IsDeleting(rs);
        var changed = false;

        var listed = await GrainFactory.GetGrain<IResourceCollectionGrain>("pods").List(new ListRequest { Namespace = ns });
        var owned = new List<JsonObject>();
        foreach (var pod in listed.Items.Select(Parse))
        {
            var controller = ControllerRef(pod);
            if (controller is not null)
            {
                if (Str(controller["uid"]) != uid)
                {
                    continue;
                }

                if (selector.Matches(pod) || IsDeleting(pod) || rsDeleting)
                {
                    owned.Add(pod);
                }
                else
                {
                    // Relabelled out of the selector: no longer ours (Kubernetes' ReleasePod).
                    changed |= await PatchOwnersAsync(pod, ReleasePatch(pod, uid)) is not null;
                }

                continue;
            }

            if (rsDeleting || IsDeleting(pod) || !selector.Matches(pod))
            {
                continue;
            }

            if (await PatchOwnersAsync(pod, AdoptPatch(pod, OwnerReference("ReplicaSet", name, uid))) is { } adopted)
            {
                owned.Add(adopted);
                changed = true;
            }
        }

        // A failed pod will not run again under restartPolicy Always's controller: replace it.
        foreach (var failed in owned.Where(p => !IsDeleting(p) && Str(p["status"]?["phase"]) == "Failed").ToList())
        {
            if (await DeletePodAsync(rs, failed))
            {
                owned.Remove(failed);
                changed = true;
            }
        }

        var active = owned.Where(IsPodActive).ToList();
        ApiException? createFailure = null;
        if (!rsDeleting)
        {
            var diff = active.Count - replicas;
            if (diff < 0)
            {
                try
                {
                    var created = await CreatePodsAsync(rs, ns, name, uid, Math.Min(-diff, BurstReplicas));
                    active.AddRange(created);
                    changed |= created.Count > 0;
                }
                catch (ApiException ex)
                {
                    // Refused (a quota, a limit range): reported on the status before the pass retries with backoff.
                    createFailure = ex;
                }
            }
            else if (diff > 0)
            {
                var victims = active.Order(ActivePodsComparer.Instance).Take(Math.Min(diff, BurstReplicas)).ToList();
                var deleted = await Task.WhenAll(victims.Select(p => DeletePodAsync(rs, p)));
                for (var i = 0; i < victims.Count; i++)
                {
                    if (deleted[i])
                    {
                        active.Remove(victims[i]);
                        changed = true;
                    }
                }
            }
        }

        var now = Time.GetUtcNow();
        var status = ComputeStatus(rs, active, minReadySeconds, now, out var nextAvailable);
        SetReplicaFailure(status, createFailure, now);
        if (Canonical(status) != Canonical(rs["status"]))
        {
            await WriteStatusAsync(ns, name, rs, status);
        }

        if (createFailure is not null)
        {
            throw createFailure;
        }

        return new ReconcileOutcome(true, changed, nextAvailable is { } at ? at - now + TimeSpan.FromMilliseconds(100) : null);
    }

    private static JsonObject ComputeStatus(JsonObject rs, List<JsonObject> active, int minReadySeconds, DateTimeOffset now, out DateTimeOffset? nextAvailable)
    {
        var templateLabels = LabelSelector.LabelsOf(rs["spec"]?["template"] as JsonObject ?? new JsonObject());
        var fullyLabeled = active.Count(p =>
        {
            var labels = LabelSelector.LabelsOf(p);
            return templateLabels.All(l => labels.TryGetValue(l.Key, out var v) && v == l.Value);
        });
        var ready = active.Count(IsPodReady);
        var available = active.Count(p => IsPodAvailable(p, minReadySeconds, now));
        nextAvailable = null;
        if (minReadySeconds > 0)
        {
            // Time alone makes these available: look again then, as Kubernetes' AddAfter does.
            nextAvailable = active.Where(p => IsPodReady(p) && !IsPodAvailable(p, minReadySeconds, now))
                .Select(p => (DateTimeOffset?)ReadySince(p)!.Value.AddSeconds(minReadySeconds)).Min();
        }

        var status = new JsonObject
        {
            ["replicas"] = active.Count,
            ["fullyLabeledReplicas"] = fullyLabeled,
            ["readyReplicas"] = ready,
            ["availableReplicas"] = available,
            ["observedGeneration"] = Generation(rs),
        };
        if (rs["status"]?["conditions"] is JsonArray conditions && conditions.Count > 0)
        {
            status["conditions"] = conditions.DeepClone();
        }

        return status;
    }

    /// <summary>
    /// Kubernetes' ReplicaFailure condition: set (once, keeping its first time) while pods cannot be created,
    /// removed by the first pass that creates what it needs.
    /// </summary>
    private static void SetReplicaFailure(JsonObject status, ApiException? failure, DateTimeOffset now)
    {
        var conditions = status["conditions"] as JsonArray ?? new JsonArray();
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => Str(c["type"]) == "ReplicaFailure");
        if (failure is not null && existing is null)
        {
            conditions.Add(new JsonObject
            {
                ["type"] = "ReplicaFailure",
                ["status"] = "True",
                ["lastTransitionTime"] = Format(now),
                ["reason"] = "FailedCreate",
                ["message"] = failure.Message,
            });
        }
        else if (failure is null && existing is not null)
        {
            conditions.Remove(existing);
        }

        if (conditions.Count > 0)
        {
            status["conditions"] = conditions;
        }
        else
        {
            status.Remove("conditions");
        }
    }

    private async Task WriteStatusAsync(string ns, string name, JsonObject rs, JsonObject status)
    {
        var update = rs.DeepClone().AsObject();
        update["metadata"]!.AsObject().Remove("resourceVersion");
        update["status"] = status;
        try
        {
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("replicasets.apps", ns, name).GrainKey)
                .Update(update.ToJsonString(), new WriteOptions { Subresource = "status" });
        }
        catch (ApiException ex) when (ex.Code == 404)
        {
            // Deleted meanwhile: nothing to report on.
        }
    }

    /// <summary>Creates pods in Kubernetes' slow-start batches (1, 2, 4, ...) so a failing template fails once, not N times.</summary>
    private async Task<List<JsonObject>> CreatePodsAsync(JsonObject rs, string ns, string rsName, string uid, int count)
    {
        var created = new List<JsonObject>();
        var batch = 1;
        while (created.Count < count)
        {
            var size = Math.Min(batch, count - created.Count);
            var results = await Task.WhenAll(Enumerable.Range(0, size).Select(_ => CreatePodAsync(rs, ns, rsName, uid)));
            created.AddRange(results);
            batch *= 2;
        }

        return created;
    }

    private async Task<JsonObject> CreatePodAsync(JsonObject rs, string ns, string rsName, string uid)
    {
        var template = rs["spec"]?["template"] as JsonObject ?? new JsonObject();
        var templateMeta = template["metadata"] as JsonObject;
        // Kubernetes trims generateName so the random suffix still fits a 63-character name.
        var prefix = rsName.Length > 57 ? rsName[..57] + "-" : rsName + "-";
        for (var attempt = 0; ; attempt++)
        {
            var podName = prefix + RandomNumberGenerator.GetString(NameAlphabet, 5);
            var meta = new JsonObject
            {
                ["name"] = podName,
                ["generateName"] = prefix,
                ["namespace"] = ns,
                ["ownerReferences"] = new JsonArray(OwnerReference("ReplicaSet", rsName, uid)),
            };
            foreach (var field in new[] { "labels", "annotations", "finalizers" })
            {
                if (templateMeta?[field] is { } value)
                {
                    meta[field] = value.DeepClone();
                }
            }

            var pod = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Pod",
                ["metadata"] = meta,
                ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
            };
            try
            {
                var json = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", ns, podName).GrainKey).Create(pod.ToJsonString(), WriteOptions.Default);

                // Best effort and off the critical path, as Kubernetes' event broadcaster is: the next slow-start
                // batch waits for the pods, not for their events.
                events.RecordAsync(rs, "Normal", "SuccessfulCreate", $"Created pod: {podName}", Component).Ignore();
                return Parse(json);
            }
            catch (ApiException ex) when (ex.Code == 409 && attempt < 8)
            {
                // The random name is taken: draw another.
            }
            catch (ApiException ex)
            {
                await events.RecordAsync(rs, "Warning", "FailedCreate", $"Error creating: {ex.Message}", Component);
                throw;
            }
        }
    }

    private async Task<bool> DeletePodAsync(JsonObject rs, JsonObject pod)
    {
        var podName = Name(pod);
        try
        {
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", Str(pod["metadata"]?["namespace"]) ?? "", podName).GrainKey)
                .Delete(new DeleteOptions { PreconditionUid = Uid(pod) });
            events.RecordAsync(rs, "Normal", "SuccessfulDelete", $"Deleted pod: {podName}", Component).Ignore();
            LogDeleted(podName);
            return true;
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            // Gone already, or a new pod of the same name: either way not ours to delete now.
            return true;
        }
    }

    private async Task<JsonObject?> PatchOwnersAsync(JsonObject pod, string patch)
    {
        try
        {
            var json = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", Str(pod["metadata"]?["namespace"]) ?? "", Name(pod)).GrainKey)
                .Patch(patch, new WriteOptions { PatchType = "application/merge-patch+json" });
            return Parse(json);
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            // Changed or gone since the list; the change wakes this controller again.
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deleted pod {Pod}")]
    private partial void LogDeleted(string pod);
}
