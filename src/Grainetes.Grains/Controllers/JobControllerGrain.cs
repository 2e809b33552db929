using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Events;
using Grainetes.Machinery.Errors;
using Microsoft.Extensions.Logging;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// Kubernetes' Job controller for one Job. Pods carry the <c>batch.kubernetes.io/job-tracking</c> finalizer;
/// a finished pod is first written into <c>status.uncountedTerminatedPods</c> (and, for Indexed jobs, its index
/// into <c>completedIndexes</c>), then loses the finalizer, then moves into the <c>succeeded</c>/<c>failed</c>
/// counters. Each step is durable before the next, so a pass cut short anywhere and re-run (late, twice, on
/// another silo) never counts a pod twice or runs a completed index again.
/// </summary>
public sealed partial class JobControllerGrain : ReconcilerGrain, IJobControllerGrain
{
    public const string Component = "job-controller";
    public const string TrackingFinalizer = "batch.kubernetes.io/job-tracking";
    public const string CompletionIndexAnnotation = "batch.kubernetes.io/job-completion-index";

    private const string Jobs = "jobs.batch";

    private readonly EventRecorder events;
    private readonly ILogger<JobControllerGrain> logger;

    public JobControllerGrain(EventRecorder events, TimeProvider time, ILogger<JobControllerGrain> logger)
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
        var json = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(Jobs, ns, name).GrainKey).Get();
        var pods = (await GrainFactory.GetGrain<IResourceCollectionGrain>("pods").List(new ListRequest { Namespace = ns })).Items.Select(Parse).ToList();
        if (json is null)
        {
            // The job went while pods still held its finalizer: nothing will count them now, let them go.
            await ReleaseOrphansAsync(pods, name, null);
            return ReconcileOutcome.Gone;
        }

        var job = Parse(json);
        var uid = Uid(job);
        var changed = await ReleaseOrphansAsync(pods, name, uid);
        var owned = pods.Where(p => IsControlledBy(p, uid)).ToList();
        var spec = job["spec"] as JsonObject ?? new JsonObject();
        var status = job["status"]?.DeepClone() as JsonObject ?? new JsonObject();
        var now = Time.GetUtcNow();
        var indexed = Str(spec["completionMode"]) == "Indexed";

        if (HasCondition(job, "Complete") || HasCondition(job, "Failed"))
        {
            // Finished: only the bookkeeping of pods still terminating is left.
            changed |= await TrackFinishedPodsAsync(job, owned, status, indexed);
            return new ReconcileOutcome(true, changed, null);
        }

        // 1-3: record finished pods, release them, count them.
        if (await TrackFinishedPodsAsync(job, owned, status, indexed))
        {
            return new ReconcileOutcome(true, true, null);
        }

        var active = owned.Where(p => IsPodActive(p) && !IsFinished(p)).ToList();
        var succeeded = Int(status["succeeded"]);
        var failed = Int(status["failed"]);
        var completedIndexes = indexed ? ParseIndexes(Str(status["completedIndexes"])) : [];
        var completions = JsonNumbersOrNull(spec["completions"]);
        var parallelism = Int(spec["parallelism"], 1);
        var backoffLimit = Int(spec["backoffLimit"], 6);
        var suspended = spec["suspend"] is JsonValue s && s.TryGetValue<bool>(out var sv) && sv;

        if (status["startTime"] is null && !suspended)
        {
            status["startTime"] = Format(now);
        }

        // Decide whether the job has reached an end; the interim condition is durable before pods are removed.
        var (failureReason, failureMessage) = ((string?)null, (string?)null);
        if (failed > backoffLimit)
        {
            (failureReason, failureMessage) = ("BackoffLimitExceeded", "Job has reached the specified backoff limit");
        }
        else if (JsonNumbersOrNull(spec["activeDeadlineSeconds"]) is { } deadline && ControllerJson.Time(status["startTime"]) is { } start && now - start >= TimeSpan.FromSeconds(deadline))
        {
            (failureReason, failureMessage) = ("DeadlineExceeded", "Job was active longer than specified deadline");
        }

        var complete = failureReason is null && (indexed
            ? completions is { } c && completedIndexes.Count(i => i < c) >= c
            : completions is { } n ? succeeded >= n : succeeded > 0 && active.Count == 0);

        if (failureReason is not null || HasCondition(job, "FailureTarget"))
        {
            if (!HasCondition(job, "FailureTarget"))
            {
                SetCondition(status, "FailureTarget", failureReason!, failureMessage!, now);
                await WriteStatusAsync(job, status);
                return new ReconcileOutcome(true, true, null);
            }

            foreach (var pod in active)
            {
                changed |= await DeletePodAsync(job, pod);
            }

            if (owned.Count(p => Finalizers(p).Contains(TrackingFinalizer)) == 0 && !HasUncounted(status))
            {
                var target = ConditionOf(job, "FailureTarget")!;
                SetCondition(status, "Failed", Str(target["reason"]) ?? "", Str(target["message"]) ?? "", now);
                await events.RecordAsync(job, "Warning", Str(target["reason"]) ?? "Failed", Str(target["message"]) ?? "", Component);
            }
        }
        else if (complete || HasCondition(job, "SuccessCriteriaMet"))
        {
            if (!HasCondition(job, "SuccessCriteriaMet"))
            {
                SetCondition(status, "SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods", now);
                await WriteStatusAsync(job, status);
                return new ReconcileOutcome(true, true, null);
            }

            foreach (var pod in active)
            {
                changed |= await DeletePodAsync(job, pod);
            }

            if (owned.Count(p => Finalizers(p).Contains(TrackingFinalizer)) == 0 && !HasUncounted(status))
            {
                SetCondition(status, "Complete", "CompletionsReached", "Reached expected number of succeeded pods", now);
                status["completionTime"] = Format(now);
                await events.RecordAsync(job, "Normal", "Completed", "Job completed", Component);
            }
        }
        else if (!suspended && !IsDeleting(job))
        {
            changed |= await ManagePodsAsync(job, ns, active, succeeded, completions, parallelism, indexed, completedIndexes);
        }
        else if (suspended)
        {
            foreach (var pod in active)
            {
                changed |= await DeletePodAsync(job, pod);
            }
        }

        status["active"] = owned.Count(p => IsPodActive(p) && !IsFinished(p));
        status["ready"] = owned.Count(p => IsPodActive(p) && IsPodReady(p));
        if (Canonical(status) != Canonical(job["status"]))
        {
            await WriteStatusAsync(job, status);
        }

        TimeSpan? requeue = null;
        if (!HasCondition(job, "Complete") && !HasCondition(job, "Failed")
            && JsonNumbersOrNull(spec["activeDeadlineSeconds"]) is { } secs && ControllerJson.Time(status["startTime"]) is { } started)
        {
            requeue = started.AddSeconds(secs) - now + TimeSpan.FromMilliseconds(100);
        }

        return new ReconcileOutcome(true, changed, requeue);
    }

    /// <summary>
    /// The durable three steps: finished pods still holding the finalizer go into <c>uncountedTerminatedPods</c>
    /// (written first), then lose the finalizer, then move into the counters. True when it wrote anything.
    /// </summary>
    private async Task<bool> TrackFinishedPodsAsync(JsonObject job, List<JsonObject> owned, JsonObject status, bool indexed)
    {
        var uncounted = status["uncountedTerminatedPods"] as JsonObject ?? new JsonObject();
        var uncountedSucceeded = Uids(uncounted["succeeded"]);
        var uncountedFailed = Uids(uncounted["failed"]);
        var tracked = owned.Where(p => Finalizers(p).Contains(TrackingFinalizer)).ToList();

        // Step 1: remember every newly finished pod before letting go of it.
        var newlyFinished = tracked.Where(p => IsFinished(p) && !uncountedSucceeded.Contains(Uid(p)) && !uncountedFailed.Contains(Uid(p))).ToList();
        if (newlyFinished.Count > 0)
        {
            var completed = indexed ? ParseIndexes(Str(status["completedIndexes"])) : [];
            foreach (var pod in newlyFinished)
            {
                if (Str(pod["status"]?["phase"]) == "Succeeded")
                {
                    uncountedSucceeded.Add(Uid(pod));
                    if (indexed && CompletionIndex(pod) is { } index)
                    {
                        completed.Add(index);
                    }
                }
                else
                {
                    uncountedFailed.Add(Uid(pod));
                }
            }

            uncounted["succeeded"] = ToArray(uncountedSucceeded);
            uncounted["failed"] = ToArray(uncountedFailed);
            status["uncountedTerminatedPods"] = uncounted;
            if (indexed)
            {
                status["completedIndexes"] = FormatIndexes(completed);
            }

            await WriteStatusAsync(job, status);
            return true;
        }

        // Step 2: recorded pods lose the finalizer.
        var released = false;
        foreach (var pod in tracked.Where(p => uncountedSucceeded.Contains(Uid(p)) || uncountedFailed.Contains(Uid(p))))
        {
            released |= await RemoveFinalizerAsync(pod);
        }

        if (released)
        {
            return true;
        }

        // Step 3: pods recorded and released move into the counters in one write.
        var stillHeld = tracked.Select(Uid).ToHashSet(StringComparer.Ordinal);
        var countSucceeded = uncountedSucceeded.Where(u => !stillHeld.Contains(u)).ToList();
        var countFailed = uncountedFailed.Where(u => !stillHeld.Contains(u)).ToList();
        if (countSucceeded.Count == 0 && countFailed.Count == 0)
        {
            return false;
        }

        status["succeeded"] = indexed
            ? ParseIndexes(Str(status["completedIndexes"])).Count
            : Int(status["succeeded"]) + countSucceeded.Count;
        status["failed"] = Int(status["failed"]) + countFailed.Count;
        uncountedSucceeded.ExceptWith(countSucceeded);
        uncountedFailed.ExceptWith(countFailed);
        uncounted["succeeded"] = ToArray(uncountedSucceeded);
        uncounted["failed"] = ToArray(uncountedFailed);
        status["uncountedTerminatedPods"] = uncounted;
        await WriteStatusAsync(job, status);
        return true;
    }

    private async Task<bool> ManagePodsAsync(
        JsonObject job, string ns, List<JsonObject> active, int succeeded, int? completions, int parallelism, bool indexed, SortedSet<int> completedIndexes)
    {
        var wantActive = completions is { } c ? Math.Min(parallelism, Math.Max(0, c - (indexed ? completedIndexes.Count(i => i < c) : succeeded))) : succeeded > 0 ? active.Count : parallelism;
        var changed = false;
        if (active.Count > wantActive)
        {
            foreach (var pod in active.Order(ActivePodsComparer.Instance).Take(active.Count - wantActive))
            {
                changed |= await DeletePodAsync(job, pod);
            }

            return changed;
        }

        var missing = wantActive - active.Count;
        if (missing <= 0)
        {
            return false;
        }

        if (indexed)
        {
            // The lowest indexes neither completed nor running; a completed index never runs again.
            var running = active.Select(CompletionIndex).OfType<int>().ToHashSet();
            var next = Enumerable.Range(0, completions ?? 0).Where(i => !completedIndexes.Contains(i) && !running.Contains(i)).Take(missing);
            foreach (var index in next)
            {
                await CreatePodAsync(job, ns, index);
                changed = true;
            }
        }
        else
        {
            for (var i = 0; i < missing; i++)
            {
                await CreatePodAsync(job, ns, null);
                changed = true;
            }
        }

        return changed;
    }

    private async Task CreatePodAsync(JsonObject job, string ns, int? index)
    {
        var jobName = Name(job);
        var template = job["spec"]?["template"] as JsonObject ?? new JsonObject();
        var templateMeta = template["metadata"] as JsonObject;
        var prefix = GeneratedNames.Prefix(index is { } i ? string.Create(CultureInfo.InvariantCulture, $"{jobName}-{i}") : jobName);
        var meta = new JsonObject
        {
            ["generateName"] = prefix,
            ["namespace"] = ns,
            ["ownerReferences"] = new JsonArray(OwnerReference("Job", jobName, Uid(job), "batch/v1")),
        };
        foreach (var field in new[] { "labels", "annotations" })
        {
            if (templateMeta?[field] is { } value)
            {
                meta[field] = value.DeepClone();
            }
        }

        var finalizers = new JsonArray();
        foreach (var f in (templateMeta?["finalizers"] as JsonArray)?.Select(Str).OfType<string>() ?? [])
        {
            finalizers.Add(f);
        }

        finalizers.Add(TrackingFinalizer);
        meta["finalizers"] = finalizers;

        var labels = meta["labels"] as JsonObject ?? new JsonObject();
        labels["batch.kubernetes.io/job-name"] ??= jobName;
        labels["job-name"] ??= jobName;
        labels["batch.kubernetes.io/controller-uid"] ??= Uid(job);
        labels["controller-uid"] ??= Uid(job);
        meta["labels"] = labels;

        var spec = template["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
        if (index is { } idx)
        {
            var text = idx.ToString(CultureInfo.InvariantCulture);
            var annotations = meta["annotations"] as JsonObject ?? new JsonObject();
            annotations[CompletionIndexAnnotation] = text;
            meta["annotations"] = annotations;
            labels[CompletionIndexAnnotation] = text;
            spec["hostname"] ??= string.Create(CultureInfo.InvariantCulture, $"{jobName}-{idx}");
            foreach (var list in new[] { "initContainers", "containers" })
            {
                foreach (var container in (spec[list] as JsonArray)?.OfType<JsonObject>() ?? [])
                {
                    var env = container["env"] as JsonArray ?? new JsonArray();
                    if (!env.OfType<JsonObject>().Any(e => Str(e["name"]) == "JOB_COMPLETION_INDEX"))
                    {
                        env.Add(new JsonObject
                        {
                            ["name"] = "JOB_COMPLETION_INDEX",
                            ["valueFrom"] = new JsonObject
                            {
                                ["fieldRef"] = new JsonObject
                                {
                                    ["apiVersion"] = "v1",
                                    ["fieldPath"] = $"metadata.annotations['{CompletionIndexAnnotation}']",
                                },
                            },
                        });
                    }

                    container["env"] = env;
                }
            }
        }

        var pod = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = spec };
        for (var attempt = 0; ; attempt++)
        {
            var podName = GeneratedNames.Next(prefix);
            meta["name"] = podName;
            try
            {
                await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", ns, podName).GrainKey).Create(pod.ToJsonString(), WriteOptions.Default);
                await events.RecordAsync(job, "Normal", "SuccessfulCreate", $"Created pod: {podName}", Component);
                LogCreated(podName, jobName);
                return;
            }
            catch (ApiException ex) when (ex.Code == 409 && attempt < 8)
            {
                // The random name is taken: draw another.
            }
            catch (ApiException ex)
            {
                await events.RecordAsync(job, "Warning", "FailedCreate", $"Error creating: {ex.Message}", Component);
                throw;
            }
        }
    }

    /// <summary>Pods of a job that is gone (or was replaced by a namesake) keep no finalizer of ours.</summary>
    private async Task<bool> ReleaseOrphansAsync(List<JsonObject> pods, string jobName, string? liveUid)
    {
        var changed = false;
        foreach (var pod in pods.Where(p => Finalizers(p).Contains(TrackingFinalizer)))
        {
            var owner = ControllerRef(pod);
            if (owner is not null && Str(owner["kind"]) == "Job" && Str(owner["name"]) == jobName && Str(owner["uid"]) != liveUid)
            {
                changed |= await RemoveFinalizerAsync(pod);
            }
        }

        return changed;
    }

    private async Task<bool> RemoveFinalizerAsync(JsonObject pod)
    {
        try
        {
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", Str(pod["metadata"]?["namespace"]) ?? "", Name(pod)).GrainKey)
                .Patch(FinalizersPatch(pod, Finalizers(pod).Where(f => f != TrackingFinalizer)), new WriteOptions { PatchType = "application/merge-patch+json" });
            return true;
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            // Changed or gone since the list; the change wakes this controller again.
            return ex.Code == 409;
        }
    }

    private async Task<bool> DeletePodAsync(JsonObject job, JsonObject pod)
    {
        if (IsDeleting(pod))
        {
            return false;
        }

        try
        {
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", Str(pod["metadata"]?["namespace"]) ?? "", Name(pod)).GrainKey)
                .Delete(new DeleteOptions { PreconditionUid = Uid(pod) });
            await events.RecordAsync(job, "Normal", "SuccessfulDelete", $"Deleted pod: {Name(pod)}", Component);
            return true;
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            return false;
        }
    }

    /// <summary>
    /// Written conditionally on the version read: two passes racing (a late reminder on another silo) must
    /// not both move the same uncounted pods into the counters.
    /// </summary>
    private async Task WriteStatusAsync(JsonObject job, JsonObject status)
    {
        var update = job.DeepClone().AsObject();
        update["status"] = status.DeepClone();
        var json = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(Jobs, Str(job["metadata"]?["namespace"]) ?? "", Name(job)).GrainKey)
            .Update(update.ToJsonString(), new WriteOptions { Subresource = "status" });
        var written = Parse(json);
        job["metadata"] = written["metadata"]?.DeepClone();
        job["status"] = written["status"]?.DeepClone();
    }

    /// <summary>A pod that will not run again: finished, or being deleted (Kubernetes counts those as failed).</summary>
    private static bool IsFinished(JsonObject pod) =>
        Str(pod["status"]?["phase"]) is "Succeeded" or "Failed" || IsDeleting(pod);

    private static bool HasUncounted(JsonObject status) =>
        status["uncountedTerminatedPods"] is JsonObject u && (Uids(u["succeeded"]).Count > 0 || Uids(u["failed"]).Count > 0);

    private static int? CompletionIndex(JsonObject pod) =>
        int.TryParse(Annotation(pod, CompletionIndexAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;

    private static int? JsonNumbersOrNull(JsonNode? node) => node is null ? null : Grainetes.Machinery.Resources.JsonNumbers.ToInt32(node);

    private static HashSet<string> Uids(JsonNode? node) =>
        ((node as JsonArray)?.Select(Str).OfType<string>() ?? []).ToHashSet(StringComparer.Ordinal);

    private static JsonArray ToArray(IEnumerable<string> values)
    {
        var array = new JsonArray();
        foreach (var v in values.Order(StringComparer.Ordinal))
        {
            array.Add(v);
        }

        return array;
    }

    private static JsonObject? ConditionOf(JsonObject job, string type) =>
        (job["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => Str(c["type"]) == type);

    private static void SetCondition(JsonObject status, string type, string reason, string message, DateTimeOffset now)
    {
        var conditions = status["conditions"] as JsonArray ?? new JsonArray();
        status["conditions"] = conditions;
        if (conditions.OfType<JsonObject>().Any(c => Str(c["type"]) == type && Str(c["status"]) == "True"))
        {
            return;
        }

        conditions.Add(new JsonObject
        {
            ["type"] = type,
            ["status"] = "True",
            ["lastProbeTime"] = Format(now),
            ["lastTransitionTime"] = Format(now),
            ["reason"] = reason,
            ["message"] = message,
        });
    }

    /// <summary>Kubernetes' completedIndexes format: sorted, with runs as <c>a-b</c> ("1,3-5,7").</summary>
    internal static string FormatIndexes(IEnumerable<int> indexes)
    {
        var parts = new List<string>();
        var sorted = indexes.Distinct().Order().ToList();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
            {
                j++;
            }

            parts.Add(i == j
                ? sorted[i].ToString(CultureInfo.InvariantCulture)
                : string.Create(CultureInfo.InvariantCulture, $"{sorted[i]}-{sorted[j]}"));
            i = j + 1;
        }

        return string.Join(",", parts);
    }

    internal static SortedSet<int> ParseIndexes(string? text)
    {
        var set = new SortedSet<int>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var single))
                {
                    set.Add(single);
                }
            }
            else if (int.TryParse(part[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                && int.TryParse(part[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var to))
            {
                for (var i = from; i <= to; i++)
                {
                    set.Add(i);
                }
            }
        }

        return set;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Created pod {Pod} for job {Job}")]
    private partial void LogCreated(string pod, string job);
}
