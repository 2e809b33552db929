using System.Globalization;
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
/// Kubernetes' Deployment controller for one Deployment (pkg/controller/deployment): claims ReplicaSets,
/// keeps one per template named by the template's hash, rolls out by RollingUpdate or Recreate, scales
/// proportionally while paused or mid-rollout, prunes history and reports progress. Each pass does at
/// most one step and relies on the ReplicaSets' status changes to wake it for the next one.
/// </summary>
public sealed partial class DeploymentControllerGrain : ReconcilerGrain, IDeploymentControllerGrain
{
    public const string Component = "deployment-controller";
    public const string RevisionAnnotation = "deployment.kubernetes.io/revision";
    public const string DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
    public const string MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";

    private static readonly string[] SkippedAnnotations =
    [
        "kubectl.kubernetes.io/last-applied-configuration",
        RevisionAnnotation,
        "deployment.kubernetes.io/revision-history",
        DesiredReplicasAnnotation,
        MaxReplicasAnnotation,
        "deprecated.deployment.rollback.to",
    ];

    private readonly EventRecorder events;
    private readonly ILogger<DeploymentControllerGrain> logger;

    public DeploymentControllerGrain(EventRecorder events, TimeProvider time, ILogger<DeploymentControllerGrain> logger)
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
        var json = await Deployment(ns, name).Get();
        if (json is null)
        {
            return ReconcileOutcome.Gone;
        }

        var pass = new Pass(Parse(json), ns, Time.GetUtcNow());
        var rsList = await ClaimReplicaSetsAsync(pass);
        if (IsDeleting(pass.D))
        {
            var (newRs, oldRss) = Split(pass, rsList);
            await SyncDeploymentStatusAsync(pass, All(oldRss, newRs), newRs);
            return new ReconcileOutcome(true, false, null);
        }

        CheckPausedConditions(pass);
        if (pass.Paused || IsScalingEvent(pass, rsList))
        {
            await SyncAsync(pass, rsList);
        }
        else if (Str(pass.D["spec"]?["strategy"]?["type"]) == "Recreate")
        {
            await RolloutRecreateAsync(pass, rsList);
        }
        else
        {
            await RolloutRollingAsync(pass, rsList);
        }

        return new ReconcileOutcome(true, pass.Changed, pass.RequeueAfter);
    }

    private IObjectGrain Deployment(string ns, string name) =>
        GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("deployments.apps", ns, name).GrainKey);

    private IObjectGrain ReplicaSet(string ns, string name) =>
        GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("replicasets.apps", ns, name).GrainKey);

    // ---- claiming ----------------------------------------------------------------------------------

    private async Task<List<RsRef>> ClaimReplicaSetsAsync(Pass pass)
    {
        var selector = LabelSelector.FromJson(pass.D["spec"]?["selector"]);
        var uid = Uid(pass.D);
        var listed = await GrainFactory.GetGrain<IResourceCollectionGrain>("replicasets.apps").List(new ListRequest { Namespace = pass.Ns });
        var claimed = new List<RsRef>();
        foreach (var rs in listed.Items.Select(Parse))
        {
            var controller = ControllerRef(rs);
            if (controller is not null)
            {
                if (Str(controller["uid"]) != uid)
                {
                    continue;
                }

                if (selector.Matches(rs))
                {
                    claimed.Add(new RsRef(rs));
                }
                else if (!IsDeleting(rs) && await PatchAsync(pass, rs, ReleasePatch(rs, uid)) is not null)
                {
                    pass.Changed = true;
                }

                continue;
            }

            if (IsDeleting(pass.D) || IsDeleting(rs) || !selector.Matches(rs))
            {
                continue;
            }

            if (await PatchAsync(pass, rs, AdoptPatch(rs, OwnerReference("Deployment", pass.Name, uid))) is { } adopted)
            {
                claimed.Add(new RsRef(adopted));
                pass.Changed = true;
            }
        }

        return claimed;
    }

    private async Task<JsonObject?> PatchAsync(Pass pass, JsonObject rs, string patch)
    {
        try
        {
            return Parse(await ReplicaSet(pass.Ns, Name(rs)).Patch(patch, new WriteOptions { PatchType = "application/merge-patch+json" }));
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            return null;
        }
    }

    // ---- new and old ReplicaSets -------------------------------------------------------------------

    /// <summary>The oldest ReplicaSet whose template equals the Deployment's (ignoring the hash label), and the rest.</summary>
    private static (RsRef? New, List<RsRef> Old) Split(Pass pass, List<RsRef> rsList)
    {
        var template = PodTemplateHash.CanonicalWithoutHash(pass.D["spec"]?["template"]);
        var newRs = rsList.Where(r => PodTemplateHash.CanonicalWithoutHash(r.Obj["spec"]?["template"]) == template)
            .OrderBy(r => Created(r.Obj)).ThenBy(r => r.Name, StringComparer.Ordinal).FirstOrDefault();
        return (newRs, rsList.Where(r => r != newRs).ToList());
    }

    private async Task<(RsRef? New, List<RsRef> Old)> GetAllReplicaSetsAndSyncRevisionAsync(Pass pass, List<RsRef> rsList, bool createIfMissing)
    {
        var (newRs, oldRss) = Split(pass, rsList);
        var newRevision = (oldRss.Count == 0 ? 0 : oldRss.Max(r => r.Revision)) + 1;
        if (newRs is not null)
        {
            await SyncNewReplicaSetAnnotationsAsync(pass, newRs, newRevision);
            if (GetCondition(pass.Conditions, "Progressing") is null)
            {
                SetCondition(pass, "Progressing", "True", "FoundNewReplicaSet", $"Found new replica set \"{newRs.Name}\"");
            }
        }
        else if (createIfMissing)
        {
            newRs = await CreateNewReplicaSetAsync(pass, oldRss, newRevision);
            if (newRs is not null)
            {
                rsList.Add(newRs);
            }
        }

        if (newRs is not null && Annotation(pass.D, RevisionAnnotation) != newRs.Revision.ToString(CultureInfo.InvariantCulture))
        {
            var patch = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [RevisionAnnotation] = newRs.Revision.ToString(CultureInfo.InvariantCulture) } } };
            pass.D = Parse(await Deployment(pass.Ns, pass.Name).Patch(patch.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" }));
        }

        return (newRs, oldRss);
    }

    private async Task SyncNewReplicaSetAnnotationsAsync(Pass pass, RsRef newRs, long newRevision)
    {
        var annotations = new JsonObject();
        foreach (var (k, v) in CopiedAnnotations(pass.D))
        {
            if (Annotation(newRs.Obj, k) != v)
            {
                annotations[k] = v;
            }
        }

        if (newRs.Revision < newRevision)
        {
            annotations[RevisionAnnotation] = newRevision.ToString(CultureInfo.InvariantCulture);
        }

        var minReady = Int(pass.D["spec"]?["minReadySeconds"]);
        var spec = minReady != Int(newRs.Obj["spec"]?["minReadySeconds"]) ? new JsonObject { ["minReadySeconds"] = minReady } : null;
        if (annotations.Count == 0 && spec is null)
        {
            return;
        }

        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = Str(newRs.Obj["metadata"]?["resourceVersion"]), ["annotations"] = annotations },
        };
        if (spec is not null)
        {
            patch["spec"] = spec;
        }

        newRs.Obj = Parse(await ReplicaSet(pass.Ns, newRs.Name).Patch(patch.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" }));
    }

    private async Task<RsRef?> CreateNewReplicaSetAsync(Pass pass, List<RsRef> oldRss, long newRevision)
    {
        var template = pass.D["spec"]?["template"]?.DeepClone().AsObject() ?? new JsonObject();
        var hash = PodTemplateHash.Compute(template, pass.CollisionCount);
        var templateMeta = template["metadata"] as JsonObject ?? new JsonObject();
        template["metadata"] = templateMeta;
        var labels = templateMeta["labels"] as JsonObject ?? new JsonObject();
        templateMeta["labels"] = labels;
        labels[PodTemplateHash.Label] = hash;
        var selector = pass.D["spec"]?["selector"]?.DeepClone().AsObject() ?? new JsonObject();
        var matchLabels = selector["matchLabels"] as JsonObject ?? new JsonObject();
        selector["matchLabels"] = matchLabels;
        matchLabels[PodTemplateHash.Label] = hash;

        var rsName = pass.Name + "-" + hash;
        var replicas = NewRsNewReplicas(pass, oldRss, null);
        var annotations = new JsonObject();
        foreach (var (k, v) in CopiedAnnotations(pass.D))
        {
            annotations[k] = v;
        }

        annotations[RevisionAnnotation] = newRevision.ToString(CultureInfo.InvariantCulture);
        annotations[DesiredReplicasAnnotation] = pass.Replicas.ToString(CultureInfo.InvariantCulture);
        annotations[MaxReplicasAnnotation] = (pass.Replicas + pass.MaxSurge).ToString(CultureInfo.InvariantCulture);
        var rs = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["metadata"] = new JsonObject
            {
                ["name"] = rsName,
                ["namespace"] = pass.Ns,
                ["labels"] = labels.DeepClone(),
                ["annotations"] = annotations,
                ["ownerReferences"] = new JsonArray(OwnerReference("Deployment", pass.Name, Uid(pass.D))),
            },
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["minReadySeconds"] = Int(pass.D["spec"]?["minReadySeconds"]),
                ["selector"] = selector,
                ["template"] = template,
            },
        };

        try
        {
            var created = new RsRef(Parse(await ReplicaSet(pass.Ns, rsName).Create(rs.ToJsonString(), WriteOptions.Default)));
            pass.Changed = true;
            LogCreated(pass.Ns, rsName);
            if (replicas > 0)
            {
                await RecordScalingAsync(pass, rsName, "up", 0, replicas);
            }

            SetCondition(pass, "Progressing", "True", "NewReplicaSetCreated", $"Created new replica set \"{rsName}\"");
            return created;
        }
        catch (ApiException ex) when (ex.Code == 409)
        {
            var existing = await ReplicaSet(pass.Ns, rsName).Get() is { } found ? Parse(found) : null;
            if (existing is not null && IsControlledBy(existing, Uid(pass.D))
                && PodTemplateHash.CanonicalWithoutHash(existing["spec"]?["template"]) == PodTemplateHash.CanonicalWithoutHash(pass.D["spec"]?["template"]))
            {
                // Ours from an earlier pass whose answer was lost.
                return new RsRef(existing);
            }

            // Another template hashed to this name: count the collision so the next hash differs.
            pass.CollisionCount++;
            pass.Changed = true;
            var status = pass.D["status"]?.DeepClone() as JsonObject ?? new JsonObject();
            status["collisionCount"] = pass.CollisionCount;
            await WriteStatusAsync(pass, status);
            throw new InvalidOperationException($"replica set {rsName} already exists with another template; collision count is now {pass.CollisionCount}");
        }
    }

    private static IEnumerable<(string Key, string Value)> CopiedAnnotations(JsonObject deployment)
    {
        if (deployment["metadata"]?["annotations"] is not JsonObject annotations)
        {
            yield break;
        }

        foreach (var (k, v) in annotations)
        {
            if (!SkippedAnnotations.Contains(k) && Str(v) is { } value)
            {
                yield return (k, value);
            }
        }
    }

    // ---- rollouts ----------------------------------------------------------------------------------

    private async Task RolloutRollingAsync(Pass pass, List<RsRef> rsList)
    {
        var (newRs, oldRss) = await GetAllReplicaSetsAndSyncRevisionAsync(pass, rsList, createIfMissing: true);
        var all = All(oldRss, newRs);
        if (await ReconcileNewReplicaSetAsync(pass, all, newRs))
        {
            await SyncRolloutStatusAsync(pass, all, newRs);
            return;
        }

        if (await ReconcileOldReplicaSetsAsync(pass, all, oldRss.Where(r => r.Spec > 0).ToList(), newRs))
        {
            await SyncRolloutStatusAsync(pass, all, newRs);
            return;
        }

        if (DeploymentComplete(pass, pass.D["status"] as JsonObject))
        {
            await CleanupAsync(pass, oldRss);
        }

        await SyncRolloutStatusAsync(pass, all, newRs);
    }

    private async Task<bool> ReconcileNewReplicaSetAsync(Pass pass, List<RsRef> all, RsRef? newRs)
    {
        if (newRs is null || newRs.Spec == pass.Replicas)
        {
            return false;
        }

        if (newRs.Spec > pass.Replicas)
        {
            return await ScaleAndRecordAsync(pass, newRs, pass.Replicas);
        }

        return await ScaleAndRecordAsync(pass, newRs, NewRsNewReplicas(pass, all.Where(r => r != newRs).ToList(), newRs));
    }

    /// <summary>
    /// Kubernetes' NewRSNewReplicas. Old sets count with the pods they still have, not only their new
    /// spec, so a surge never overlaps pods an old set has been told to delete but has not yet.
    /// </summary>
    private static int NewRsNewReplicas(Pass pass, List<RsRef> others, RsRef? newRs)
    {
        var newSpec = newRs?.Spec ?? 0;
        if (pass.Recreate)
        {
            return pass.Replicas;
        }

        var current = newSpec + others.Sum(r => Math.Max(r.Spec, r.StatusReplicas));
        var maxTotal = pass.Replicas + pass.MaxSurge;
        if (current >= maxTotal)
        {
            return newSpec;
        }

        return newSpec + Math.Min(maxTotal - current, pass.Replicas - newSpec);
    }

    private async Task<bool> ReconcileOldReplicaSetsAsync(Pass pass, List<RsRef> all, List<RsRef> activeOld, RsRef? newRs)
    {
        if (activeOld.Sum(r => r.Spec) == 0)
        {
            return false;
        }

        var allPods = all.Sum(r => r.Spec);
        var minAvailable = pass.Replicas - pass.MaxUnavailable;
        var newUnavailable = newRs is null ? 0 : newRs.Spec - newRs.Available;
        var maxScaledDown = allPods - minAvailable - newUnavailable;
        if (maxScaledDown <= 0)
        {
            return false;
        }

        // Unhealthy old pods first: removing them costs no availability.
        var cleaned = 0;
        foreach (var rs in activeOld.OrderBy(r => Created(r.Obj)).ThenBy(r => r.Name, StringComparer.Ordinal))
        {
            if (cleaned >= maxScaledDown)
            {
                break;
            }

            var unhealthy = rs.Spec - rs.Available;
            if (rs.Spec == 0 || unhealthy <= 0)
            {
                continue;
            }

            var down = Math.Min(maxScaledDown - cleaned, unhealthy);
            await ScaleAndRecordAsync(pass, rs, rs.Spec - down);
            cleaned += down;
        }

        // Then healthy ones, as far as the availability floor allows.
        var available = all.Sum(r => r.Available);
        var scaledDown = 0;
        if (available > minAvailable)
        {
            var total = available - minAvailable;
            foreach (var rs in activeOld.OrderBy(r => Created(r.Obj)).ThenBy(r => r.Name, StringComparer.Ordinal))
            {
                if (scaledDown >= total)
                {
                    break;
                }

                if (rs.Spec == 0)
                {
                    continue;
                }

                var down = Math.Min(rs.Spec, total - scaledDown);
                await ScaleAndRecordAsync(pass, rs, rs.Spec - down);
                scaledDown += down;
            }
        }

        return cleaned + scaledDown > 0;
    }

    private async Task RolloutRecreateAsync(Pass pass, List<RsRef> rsList)
    {
        var (newRs, oldRss) = await GetAllReplicaSetsAndSyncRevisionAsync(pass, rsList, createIfMissing: false);
        var scaledDown = false;
        foreach (var rs in oldRss.Where(r => r.Spec > 0))
        {
            scaledDown |= await ScaleAndRecordAsync(pass, rs, 0);
        }

        if (scaledDown || await OldPodsRunningAsync(pass, oldRss))
        {
            await SyncRolloutStatusAsync(pass, All(oldRss, newRs), newRs);
            return;
        }

        if (newRs is null)
        {
            (newRs, oldRss) = await GetAllReplicaSetsAndSyncRevisionAsync(pass, rsList, createIfMissing: true);
        }

        if (newRs is not null)
        {
            await ScaleAndRecordAsync(pass, newRs, pass.Replicas);
        }

        if (DeploymentComplete(pass, pass.D["status"] as JsonObject))
        {
            await CleanupAsync(pass, oldRss);
        }

        await SyncRolloutStatusAsync(pass, All(oldRss, newRs), newRs);
    }

    private async Task<bool> OldPodsRunningAsync(Pass pass, List<RsRef> oldRss)
    {
        if (oldRss.Sum(r => r.StatusReplicas) > 0)
        {
            return true;
        }

        var oldUids = oldRss.Select(r => Uid(r.Obj)).ToHashSet(StringComparer.Ordinal);
        if (oldUids.Count == 0)
        {
            return false;
        }

        var pods = await GrainFactory.GetGrain<IResourceCollectionGrain>("pods").List(new ListRequest { Namespace = pass.Ns });
        return pods.Items.Select(Parse).Any(p =>
            ControllerRef(p) is { } owner && oldUids.Contains(Str(owner["uid"]) ?? "")
            && Str(p["status"]?["phase"]) is not ("Failed" or "Succeeded"));
    }

    /// <summary>Kubernetes' sync: a paused Deployment or a scaling event only resizes, never rolls.</summary>
    private async Task SyncAsync(Pass pass, List<RsRef> rsList)
    {
        var (newRs, oldRss) = await GetAllReplicaSetsAndSyncRevisionAsync(pass, rsList, createIfMissing: false);
        await ScaleAsync(pass, newRs, oldRss);
        if (pass.Paused)
        {
            await CleanupAsync(pass, oldRss);
        }

        await SyncDeploymentStatusAsync(pass, All(oldRss, newRs), newRs);
    }

    private async Task ScaleAsync(Pass pass, RsRef? newRs, List<RsRef> oldRss)
    {
        if (FindActiveOrLatest(newRs, oldRss) is { } only)
        {
            if (only.Spec != pass.Replicas)
            {
                await ScaleAndRecordAsync(pass, only, pass.Replicas);
            }

            return;
        }

        if (newRs is not null && newRs.Spec == pass.Replicas && Annotation(newRs.Obj, DesiredReplicasAnnotation) == pass.Replicas.ToString(CultureInfo.InvariantCulture)
            && newRs.Available == pass.Replicas)
        {
            // Saturated: the new set carries everything, the old ones go.
            foreach (var rs in oldRss.Where(r => r.Spec > 0))
            {
                await ScaleAndRecordAsync(pass, rs, 0);
            }

            return;
        }

        if (pass.Recreate)
        {
            return;
        }

        var active = All(oldRss, newRs).Where(r => r.Spec > 0).ToList();
        var allowed = pass.Replicas > 0 ? pass.Replicas + pass.MaxSurge : 0;
        var toAdd = allowed - active.Sum(r => r.Spec);
        active = toAdd > 0
            ? active.OrderByDescending(r => r.Spec).ThenByDescending(r => Created(r.Obj)).ToList()
            : active.OrderByDescending(r => r.Spec).ThenBy(r => Created(r.Obj)).ToList();
        var sizes = new Dictionary<RsRef, int>();
        var added = 0;
        foreach (var rs in active)
        {
            var proportion = Proportion(pass, rs, toAdd, added);
            sizes[rs] = rs.Spec + proportion;
            added += proportion;
        }

        if (active.Count > 0 && toAdd != added)
        {
            // Rounding leftovers go to the largest set.
            sizes[active[0]] = Math.Max(0, sizes[active[0]] + toAdd - added);
        }

        foreach (var rs in active)
        {
            await ScaleAndRecordAsync(pass, rs, sizes[rs], alwaysAnnotate: true);
        }
    }

    private static int Proportion(Pass pass, RsRef rs, int toAdd, int added)
    {
        if (rs.Spec == 0 || toAdd == 0 || toAdd == added)
        {
            return 0;
        }

        int fraction;
        if (pass.Replicas == 0)
        {
            fraction = -rs.Spec;
        }
        else
        {
            var deploymentMax = pass.Replicas + pass.MaxSurge;
            var annotated = int.TryParse(Annotation(rs.Obj, MaxReplicasAnnotation), NumberStyles.Integer, CultureInfo.InvariantCulture, out var max)
                ? max
                : Int(pass.D["status"]?["replicas"]);
            fraction = annotated == 0 ? 0 : (int)Math.Round((double)rs.Spec * deploymentMax / annotated, MidpointRounding.AwayFromZero) - rs.Spec;
        }

        var allowed = toAdd - added;
        return toAdd > 0 ? Math.Min(fraction, allowed) : Math.Max(fraction, allowed);
    }

    private static RsRef? FindActiveOrLatest(RsRef? newRs, List<RsRef> oldRss)
    {
        if (newRs is null && oldRss.Count == 0)
        {
            return null;
        }

        var newestFirst = oldRss.OrderByDescending(r => Created(r.Obj)).ThenByDescending(r => r.Name, StringComparer.Ordinal).ToList();
        var active = All(newestFirst, newRs).Where(r => r.Spec > 0).ToList();
        return active.Count switch
        {
            0 => newRs ?? newestFirst[0],
            1 => active[0],
            _ => null,
        };
    }

    private static bool IsScalingEvent(Pass pass, List<RsRef> rsList)
    {
        var (newRs, oldRss) = Split(pass, rsList);
        return All(oldRss, newRs).Where(r => r.Spec > 0).Any(r =>
            int.TryParse(Annotation(r.Obj, DesiredReplicasAnnotation), NumberStyles.Integer, CultureInfo.InvariantCulture, out var desired)
            && desired != pass.Replicas);
    }

    private async Task<bool> ScaleAndRecordAsync(Pass pass, RsRef rs, int newScale, bool alwaysAnnotate = false)
    {
        var desired = pass.Replicas.ToString(CultureInfo.InvariantCulture);
        var max = (pass.Replicas + pass.MaxSurge).ToString(CultureInfo.InvariantCulture);
        var sizeChanges = rs.Spec != newScale;
        var annotationsChange = Annotation(rs.Obj, DesiredReplicasAnnotation) != desired || Annotation(rs.Obj, MaxReplicasAnnotation) != max;
        if (!sizeChanges && !(alwaysAnnotate && annotationsChange))
        {
            return false;
        }

        var oldScale = rs.Spec;
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = Str(rs.Obj["metadata"]?["resourceVersion"]),
                ["annotations"] = new JsonObject { [DesiredReplicasAnnotation] = desired, [MaxReplicasAnnotation] = max },
            },
            ["spec"] = new JsonObject { ["replicas"] = newScale },
        };
        rs.Obj = Parse(await ReplicaSet(pass.Ns, rs.Name).Patch(patch.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" }));
        pass.Changed = true;
        if (sizeChanges)
        {
            await RecordScalingAsync(pass, rs.Name, newScale > oldScale ? "up" : "down", oldScale, newScale);
        }

        return sizeChanges;
    }

    private async Task RecordScalingAsync(Pass pass, string rsName, string direction, int from, int to)
    {
        LogScaled(pass.Ns, rsName, from, to);
        await events.RecordAsync(pass.D, "Normal", "ScalingReplicaSet", $"Scaled {direction} replica set {rsName} from {from} to {to}", Component);
    }

    /// <summary>Deletes the oldest unused ReplicaSets beyond <c>revisionHistoryLimit</c>.</summary>
    private async Task CleanupAsync(Pass pass, List<RsRef> oldRss)
    {
        if (pass.D["spec"]?["revisionHistoryLimit"] is not { } limitNode)
        {
            return;
        }

        var alive = oldRss.Where(r => !IsDeleting(r.Obj)).OrderBy(r => r.Revision).ThenBy(r => Created(r.Obj)).ToList();
        var diff = alive.Count - Int(limitNode);
        foreach (var rs in alive.Take(Math.Max(0, diff)))
        {
            if (rs.StatusReplicas != 0 || rs.Spec != 0 || Generation(rs.Obj) > Long(rs.Obj["status"]?["observedGeneration"]))
            {
                continue;
            }

            try
            {
                await ReplicaSet(pass.Ns, rs.Name).Delete(new DeleteOptions { PreconditionUid = Uid(rs.Obj) });
                pass.Changed = true;
            }
            catch (ApiException ex) when (ex.Code is 404 or 409)
            {
                // Gone or replaced already.
            }
        }
    }

    private static long Long(JsonNode? node) => Grainetes.Machinery.Resources.JsonNumbers.ToInt64(node) ?? 0;

    // ---- status ------------------------------------------------------------------------------------

    private void CheckPausedConditions(Pass pass)
    {
        var progressing = GetCondition(pass.Conditions, "Progressing");
        var reason = Str(progressing?["reason"]);
        if (reason == "ProgressDeadlineExceeded")
        {
            return;
        }

        if (pass.Paused && reason != "DeploymentPaused")
        {
            SetCondition(pass, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused");
        }
        else if (!pass.Paused && reason == "DeploymentPaused")
        {
            SetCondition(pass, "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed");
        }
    }

    private async Task SyncDeploymentStatusAsync(Pass pass, List<RsRef> all, RsRef? newRs)
    {
        var status = CalculateStatus(pass, all, newRs);
        await WriteStatusAsync(pass, status);
    }

    private async Task SyncRolloutStatusAsync(Pass pass, List<RsRef> all, RsRef? newRs)
    {
        var status = CalculateStatus(pass, all, newRs);
        var current = GetCondition(pass.Conditions, "Progressing");
        var complete = Int(status["replicas"]) == Int(status["updatedReplicas"]) && Str(current?["reason"]) == "NewReplicaSetAvailable";
        if (!complete)
        {
            if (DeploymentComplete(pass, status))
            {
                var message = newRs is null ? "Deployment has successfully progressed." : $"ReplicaSet \"{newRs.Name}\" has successfully progressed.";
                SetCondition(pass, "Progressing", "True", "NewReplicaSetAvailable", message);
            }
            else if (DeploymentProgressing(pass, status))
            {
                var message = newRs is null ? "Deployment is progressing." : $"ReplicaSet \"{newRs.Name}\" is progressing.";
                var transition = Str(current?["status"]) == "True" ? Str(current?["lastTransitionTime"]) : null;
                RemoveCondition(pass.Conditions, "Progressing");
                pass.Conditions.Add(Condition("Progressing", "True", "ReplicaSetUpdated", message, Format(pass.Now), transition ?? Format(pass.Now)));
            }
            else if (DeploymentTimedOut(pass))
            {
                var message = newRs is null ? "Deployment has timed out progressing." : $"ReplicaSet \"{newRs.Name}\" has timed out progressing.";
                SetCondition(pass, "Progressing", "False", "ProgressDeadlineExceeded", message);
            }
        }

        status["conditions"] = pass.Conditions.DeepClone();
        await WriteStatusAsync(pass, status);

        // Time alone makes a stuck rollout exceed its deadline: look again then.
        var progressing = GetCondition(pass.Conditions, "Progressing");
        if (progressing is not null && Str(progressing["status"]) == "True" && Str(progressing["reason"]) != "NewReplicaSetAvailable"
            && !DeploymentComplete(pass, status) && Time(progressing["lastUpdateTime"]) is { } updated)
        {
            var due = updated.AddSeconds(Int(pass.D["spec"]?["progressDeadlineSeconds"], 600)) - pass.Now + TimeSpan.FromSeconds(1);
            pass.RequeueAfter = due < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : due;
        }
    }

    private JsonObject CalculateStatus(Pass pass, List<RsRef> all, RsRef? newRs)
    {
        var available = all.Sum(r => r.Available);
        var unavailable = Math.Max(0, all.Sum(r => r.Spec) - available);
        if (available >= pass.Replicas - pass.MaxUnavailable)
        {
            SetCondition(pass, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.");
        }
        else
        {
            SetCondition(pass, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.");
        }

        CopyReplicaFailure(pass, all, newRs);
        var status = new JsonObject
        {
            ["observedGeneration"] = Generation(pass.D),
            ["replicas"] = all.Sum(r => r.StatusReplicas),
            ["updatedReplicas"] = newRs?.StatusReplicas ?? 0,
            ["readyReplicas"] = all.Sum(r => Int(r.Obj["status"]?["readyReplicas"])),
            ["availableReplicas"] = available,
            ["unavailableReplicas"] = unavailable,
            ["conditions"] = pass.Conditions.DeepClone(),
        };
        if (pass.CollisionCount > 0)
        {
            status["collisionCount"] = pass.CollisionCount;
        }

        return status;
    }

    private async Task WriteStatusAsync(Pass pass, JsonObject status)
    {
        if (Canonical(status) == Canonical(pass.D["status"]))
        {
            return;
        }

        var update = pass.D.DeepClone().AsObject();
        update["metadata"]!.AsObject().Remove("resourceVersion");
        update["status"] = status;
        try
        {
            pass.D = Parse(await Deployment(pass.Ns, pass.Name).Update(update.ToJsonString(), new WriteOptions { Subresource = "status" }));
        }
        catch (ApiException ex) when (ex.Code == 404)
        {
            // Deleted meanwhile.
        }
    }

    private static bool DeploymentComplete(Pass pass, JsonObject? status) =>
        status is not null
        && Int(status["updatedReplicas"]) == pass.Replicas
        && Int(status["replicas"]) == pass.Replicas
        && Int(status["availableReplicas"]) == pass.Replicas
        && Long(status["observedGeneration"]) >= Generation(pass.D);

    private static bool DeploymentProgressing(Pass pass, JsonObject status)
    {
        var old = pass.OldStatus;
        var oldOld = Int(old?["replicas"]) - Int(old?["updatedReplicas"]);
        var newOld = Int(status["replicas"]) - Int(status["updatedReplicas"]);
        return Int(status["updatedReplicas"]) > Int(old?["updatedReplicas"])
            || newOld < oldOld
            || Int(status["readyReplicas"]) > Int(old?["readyReplicas"])
            || Int(status["availableReplicas"]) > Int(old?["availableReplicas"]);
    }

    private static bool DeploymentTimedOut(Pass pass)
    {
        var condition = GetCondition(pass.Conditions, "Progressing");
        switch (Str(condition?["reason"]))
        {
            case null or "NewReplicaSetAvailable":
                return false;
            case "ProgressDeadlineExceeded":
                return true;
        }

        var from = Time(condition!["lastUpdateTime"]) ?? pass.Now;
        return from.AddSeconds(Int(pass.D["spec"]?["progressDeadlineSeconds"], 600)) < pass.Now;
    }

    /// <summary>
    /// Kubernetes' getReplicaFailures: a ReplicaSet that cannot create its pods (a quota, a limit range) shows as the
    /// deployment's ReplicaFailure condition, the new ReplicaSet's first; the condition goes when none has it.
    /// </summary>
    private static void CopyReplicaFailure(Pass pass, List<RsRef> all, RsRef? newRs)
    {
        var failure = (newRs is null ? all : all.Prepend(newRs))
            .Select(r => (r.Obj["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => Str(c["type"]) == "ReplicaFailure"))
            .FirstOrDefault(c => c is not null);
        var current = GetCondition(pass.Conditions, "ReplicaFailure");
        if (failure is null)
        {
            RemoveCondition(pass.Conditions, "ReplicaFailure");
            return;
        }

        if (current is not null && Str(current["status"]) == Str(failure["status"]) && Str(current["reason"]) == Str(failure["reason"])
            && Str(current["message"]) == Str(failure["message"]))
        {
            return;
        }

        var at = Str(failure["lastTransitionTime"]) ?? Format(pass.Now);
        RemoveCondition(pass.Conditions, "ReplicaFailure");
        pass.Conditions.Add(Condition("ReplicaFailure", Str(failure["status"]) ?? "True", Str(failure["reason"]) ?? "", Str(failure["message"]) ?? "", at, at));
    }

    private static JsonObject? GetCondition(JsonArray conditions, string type) =>
        conditions.OfType<JsonObject>().FirstOrDefault(c => Str(c["type"]) == type);

    private static void RemoveCondition(JsonArray conditions, string type)
    {
        foreach (var c in conditions.OfType<JsonObject>().Where(c => Str(c["type"]) == type).ToList())
        {
            conditions.Remove(c);
        }
    }

    /// <summary>Kubernetes' SetDeploymentCondition: same status and reason changes nothing; same status keeps the transition time.</summary>
    private static void SetCondition(Pass pass, string type, string status, string reason, string message)
    {
        var current = GetCondition(pass.Conditions, type);
        if (current is not null && Str(current["status"]) == status && Str(current["reason"]) == reason)
        {
            return;
        }

        var now = Format(pass.Now);
        var transition = current is not null && Str(current["status"]) == status ? Str(current["lastTransitionTime"]) ?? now : now;
        RemoveCondition(pass.Conditions, type);
        pass.Conditions.Add(Condition(type, status, reason, message, now, transition));
    }

    private static JsonObject Condition(string type, string status, string reason, string message, string updated, string transition) => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["lastUpdateTime"] = updated,
        ["lastTransitionTime"] = transition,
        ["reason"] = reason,
        ["message"] = message,
    };

    private static List<RsRef> All(List<RsRef> oldRss, RsRef? newRs) =>
        newRs is null ? [.. oldRss] : [.. oldRss, newRs];

    [LoggerMessage(Level = LogLevel.Information, Message = "Created replica set {Namespace}/{Name}")]
    private partial void LogCreated(string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Scaled replica set {Namespace}/{Name} from {From} to {To}")]
    private partial void LogScaled(string @namespace, string name, int from, int to);

    /// <summary>A ReplicaSet as this pass last saw it; scaling replaces <see cref="Obj"/> with the written form.</summary>
    private sealed class RsRef(JsonObject obj)
    {
        public JsonObject Obj { get; set; } = obj;

        public string Name => ControllerJson.Name(Obj);

        public int Spec => Int(Obj["spec"]?["replicas"], 1);

        public int StatusReplicas => Int(Obj["status"]?["replicas"]);

        /// <summary>
        /// Available pods, capped at the spec: a set told to shrink will delete the surplus, so counting it
        /// would let an old set and its stale status both be scaled down against the same pods.
        /// </summary>
        public int Available => Math.Min(Int(Obj["status"]?["availableReplicas"]), Spec);

        public long Revision => long.TryParse(Annotation(Obj, RevisionAnnotation), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : 0;
    }

    /// <summary>What one reconcile pass knows and has decided so far.</summary>
    private sealed class Pass
    {
        public Pass(JsonObject deployment, string ns, DateTimeOffset now)
        {
            D = deployment;
            Ns = ns;
            Name = ControllerJson.Name(deployment);
            Now = now;
            OldStatus = deployment["status"]?.DeepClone() as JsonObject;
            Conditions = deployment["status"]?["conditions"]?.DeepClone() as JsonArray ?? [];
            CollisionCount = Int(deployment["status"]?["collisionCount"]);
            Replicas = Int(deployment["spec"]?["replicas"], 1);
            Paused = deployment["spec"]?["paused"] is JsonValue p && p.GetValueKind() == System.Text.Json.JsonValueKind.True;
            Recreate = Str(deployment["spec"]?["strategy"]?["type"]) == "Recreate";
            (MaxSurge, MaxUnavailable) = IntOrPercent.Fenceposts(deployment);
        }

        public JsonObject D { get; set; }

        public string Ns { get; }

        public string Name { get; }

        public DateTimeOffset Now { get; }

        public JsonObject? OldStatus { get; }

        public JsonArray Conditions { get; }

        public int CollisionCount { get; set; }

        public int Replicas { get; }

        public bool Paused { get; }

        public bool Recreate { get; }

        public int MaxSurge { get; }

        public int MaxUnavailable { get; }

        public bool Changed { get; set; }

        public TimeSpan? RequeueAfter { get; set; }
    }
}
