using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Events;
using Grainetes.Machinery.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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

    public const string IndexFailureCountAnnotation = "batch.kubernetes.io/job-index-failure-count";
    public const string IndexIgnoredFailureCountAnnotation = "batch.kubernetes.io/job-index-ignored-failure-count";

    private readonly EventRecorder events;
    private readonly JobControllerOptions options;
    private readonly ILogger<JobControllerGrain> logger;

    public JobControllerGrain(EventRecorder events, TimeProvider time, IOptions<JobControllerOptions> options, ILogger<JobControllerGrain> logger)
        : base(logger, time)
    {
        this.events = events;
        this.options = options.Value;
        this.logger = logger;
    }

    /// <summary>Where a pod holding the tracking finalizer stands, as the three tracking steps see it.</summary>
    private enum PodOutcome
    {
        /// <summary>Still running (or terminating without a verdict yet): keep the finalizer.</summary>
        Running,
        Succeeded,

        /// <summary>A failure that counts (towards backoffLimit, and its index's limit).</summary>
        Failed,

        /// <summary>Done without counting: a failure the policy ignores, or a pod removed after the job's success.</summary>
        Ignored,
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
        var perIndex = HasBackoffLimitPerIndex(job);

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

        var active = owned.Where(IsPodActive).ToList();
        var terminating = owned.Count(IsTerminating);
        var succeeded = Int(status["succeeded"]);
        var failed = Int(status["failed"]);
        var completedIndexes = indexed ? ParseIndexes(Str(status["completedIndexes"])) : [];
        var failedIndexes = perIndex ? ParseIndexes(Str(status["failedIndexes"])) : [];
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
        if (spec["podFailurePolicy"] is not null
            && owned.Where(p => IsPodFailed(job, p)).Select(p => PodFailurePolicy.Match(job, p).FailJobMessage).FirstOrDefault(m => m is not null) is { } failJob)
        {
            (failureReason, failureMessage) = ("PodFailurePolicy", failJob);
        }
        else if (failed > backoffLimit)
        {
            (failureReason, failureMessage) = ("BackoffLimitExceeded", "Job has reached the specified backoff limit");
        }
        else if (JsonNumbersOrNull(spec["activeDeadlineSeconds"]) is { } deadline && ControllerJson.Time(status["startTime"]) is { } start && now - start >= TimeSpan.FromSeconds(deadline))
        {
            (failureReason, failureMessage) = ("DeadlineExceeded", "Job was active longer than specified deadline");
        }
        else if (perIndex && JsonNumbersOrNull(spec["maxFailedIndexes"]) is { } maxFailed && failedIndexes.Count > maxFailed)
        {
            (failureReason, failureMessage) = ("MaxFailedIndexesExceeded", "Job has exceeded the specified maximal number of failed indexes");
        }
        else if (perIndex && failedIndexes.Count > 0 && failedIndexes.Count + completedIndexes.Count(i => i < completions) >= completions)
        {
            (failureReason, failureMessage) = ("FailedIndexes", "Job has failed indexes");
        }

        var complete = failureReason is null && (indexed
            ? completions is { } c && completedIndexes.Count(i => i < c) >= c
            : completions is { } n ? succeeded >= n : succeeded > 0 && active.Count == 0);

        TimeSpan? requeue = null;
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
            bool created;
            (created, requeue) = await ManagePodsAsync(job, ns, owned, active, terminating, succeeded, completions, parallelism, indexed, completedIndexes, failedIndexes, now);
            changed |= created;
        }
        else if (suspended)
        {
            foreach (var pod in active)
            {
                changed |= await DeletePodAsync(job, pod);
            }
        }

        status["active"] = owned.Count(IsPodActive);
        status["ready"] = owned.Count(p => IsPodActive(p) && IsPodReady(p));
        status["terminating"] = owned.Count(IsTerminating);
        if (perIndex)
        {
            status["failedIndexes"] ??= "";
        }

        if (Canonical(status) != Canonical(job["status"]))
        {
            await WriteStatusAsync(job, status);
        }

        if (!HasCondition(job, "Complete") && !HasCondition(job, "Failed")
            && JsonNumbersOrNull(spec["activeDeadlineSeconds"]) is { } secs && ControllerJson.Time(status["startTime"]) is { } started)
        {
            var untilDeadline = started.AddSeconds(secs) - now + TimeSpan.FromMilliseconds(100);
            requeue = requeue is { } r && r < untilDeadline ? r : untilDeadline;
        }

        return new ReconcileOutcome(true, changed, requeue);
    }

    /// <summary>
    /// The durable three steps: finished pods still holding the finalizer go into <c>uncountedTerminatedPods</c>
    /// (and their index into <c>completedIndexes</c> or <c>failedIndexes</c>; written first), then lose the
    /// finalizer, then move into the counters. A failure the pod failure policy ignores is never recorded: its pod
    /// just loses the finalizer. True when it wrote anything.
    /// </summary>
    private async Task<bool> TrackFinishedPodsAsync(JsonObject job, List<JsonObject> owned, JsonObject status, bool indexed)
    {
        var uncounted = status["uncountedTerminatedPods"] as JsonObject ?? new JsonObject();
        var uncountedSucceeded = Uids(uncounted["succeeded"]);
        var uncountedFailed = Uids(uncounted["failed"]);
        var tracked = owned.Where(p => Finalizers(p).Contains(TrackingFinalizer)).Select(p => (Pod: p, Outcome: Outcome(job, p))).ToList();

        // Step 1: remember every newly finished pod before letting go of it.
        var newlyFinished = tracked.Where(t => (t.Outcome == PodOutcome.Succeeded && !uncountedSucceeded.Contains(Uid(t.Pod)))
            || (t.Outcome == PodOutcome.Failed && !uncountedFailed.Contains(Uid(t.Pod)))).ToList();
        if (newlyFinished.Count > 0)
        {
            var completed = indexed ? ParseIndexes(Str(status["completedIndexes"])) : [];
            var perIndex = HasBackoffLimitPerIndex(job);
            var failedIndexes = perIndex ? ParseIndexes(Str(status["failedIndexes"])) : [];
            foreach (var (pod, outcome) in newlyFinished)
            {
                if (outcome == PodOutcome.Succeeded)
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
                    if (perIndex && CompletionIndex(pod) is { } index && IsIndexFailed(job, pod))
                    {
                        failedIndexes.Add(index);
                    }
                }
            }

            uncounted["succeeded"] = ToArray(uncountedSucceeded);
            uncounted["failed"] = ToArray(uncountedFailed);
            status["uncountedTerminatedPods"] = uncounted;
            if (indexed)
            {
                status["completedIndexes"] = FormatIndexes(completed);
            }

            if (perIndex)
            {
                status["failedIndexes"] = FormatIndexes(failedIndexes.Where(i => !completed.Contains(i)));
            }

            await WriteStatusAsync(job, status);
            return true;
        }

        // Step 2: recorded (or ignored) pods lose the finalizer.
        var released = false;
        foreach (var (pod, _) in tracked.Where(t => t.Outcome == PodOutcome.Ignored || uncountedSucceeded.Contains(Uid(t.Pod)) || uncountedFailed.Contains(Uid(t.Pod))))
        {
            released |= await RemoveFinalizerAsync(pod);
        }

        if (released)
        {
            return true;
        }

        // Step 3: pods recorded and released move into the counters in one write.
        var stillHeld = tracked.Select(t => Uid(t.Pod)).ToHashSet(StringComparer.Ordinal);
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

    /// <summary>
    /// Creates the pods the job lacks, unless the pod failure back-off holds them: for the whole job, the failures
    /// since the last success; with <c>backoffLimitPerIndex</c>, each index's own. Returns whether it created any and
    /// when to look again.
    /// </summary>
    private async Task<(bool Changed, TimeSpan? Requeue)> ManagePodsAsync(
        JsonObject job, string ns, List<JsonObject> owned, List<JsonObject> active, int terminating, int succeeded, int? completions, int parallelism,
        bool indexed, SortedSet<int> completedIndexes, SortedSet<int> failedIndexes, DateTimeOffset now)
    {
        var wantActive = completions is { } c ? Math.Min(parallelism, Math.Max(0, c - (indexed ? completedIndexes.Count(i => i < c) : succeeded))) : succeeded > 0 ? active.Count : parallelism;
        var changed = false;
        if (active.Count > wantActive)
        {
            foreach (var pod in active.Order(ActivePodsComparer.Instance).Take(active.Count - wantActive))
            {
                changed |= await DeletePodAsync(job, pod);
            }

            return (changed, null);
        }

        // With podReplacementPolicy Failed (the default under a pod failure policy) a pod still terminating holds its place.
        var onlyReplaceFailed = OnlyReplaceFailedPods(job);
        var missing = wantActive - active.Count - (onlyReplaceFailed ? terminating : 0);
        if (missing <= 0)
        {
            return (false, null);
        }

        var perIndex = HasBackoffLimitPerIndex(job);
        if (!perIndex)
        {
            var (failures, lastFailure) = JobBackoff.Record(owned.Where(p => Str(p["status"]?["phase"]) == "Succeeded"), owned.Where(p => IsPodFailed(job, p)));
            var wait = JobBackoff.Remaining(failures, lastFailure, now, options.PodFailureBackoff, options.MaxPodFailureBackoff);
            if (wait > TimeSpan.Zero)
            {
                LogBackingOff(Name(job), failures, wait.TotalMilliseconds);
                return (false, wait);
            }
        }

        if (indexed)
        {
            // The lowest indexes neither completed, failed nor running; a completed index never runs again.
            var taken = owned.Where(p => IsPodActive(p) || (onlyReplaceFailed && IsTerminating(p))).Select(CompletionIndex).OfType<int>().ToHashSet();
            var pending = Enumerable.Range(0, completions ?? 0).Where(i => !completedIndexes.Contains(i) && !failedIndexes.Contains(i) && !taken.Contains(i)).ToList();
            TimeSpan? wait = null;
            var created = 0;
            foreach (var index in pending)
            {
                if (created >= missing)
                {
                    break;
                }

                var replaced = perIndex ? LastFailedPod(job, owned, index) : null;
                if (replaced is not null)
                {
                    var remaining = JobBackoff.Remaining(IndexFailureCount(replaced) + IndexIgnoredFailureCount(replaced) + 1, JobBackoff.FinishedAt(replaced), now, options.PodFailureBackoff, options.MaxPodFailureBackoff);
                    if (remaining > TimeSpan.Zero)
                    {
                        wait = wait is { } w && w < remaining ? w : remaining;
                        continue;
                    }
                }

                await CreatePodAsync(job, ns, index, perIndex ? NewIndexFailureCounts(job, replaced) : null);
                changed = true;
                created++;
            }

            return (changed, wait);
        }

        for (var i = 0; i < missing; i++)
        {
            await CreatePodAsync(job, ns, null, null);
            changed = true;
        }

        return (changed, null);
    }

    private async Task CreatePodAsync(JsonObject job, string ns, int? index, (int Failures, int Ignored)? indexFailures)
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
            if (indexFailures is { } counts)
            {
                annotations[IndexFailureCountAnnotation] = counts.Failures.ToString(CultureInfo.InvariantCulture);
                if (counts.Ignored > 0)
                {
                    annotations[IndexIgnoredFailureCountAnnotation] = counts.Ignored.ToString(CultureInfo.InvariantCulture);
                }
            }

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

    private static bool HasBackoffLimitPerIndex(JsonObject job) =>
        Str(job["spec"]?["completionMode"]) == "Indexed" && job["spec"]?["backoffLimitPerIndex"] is not null;

    /// <summary>Kubernetes' onlyReplaceFailedPods: podReplacementPolicy Failed, which a pod failure policy implies.</summary>
    private static bool OnlyReplaceFailedPods(JsonObject job) =>
        Str(job["spec"]?["podReplacementPolicy"]) == "Failed" || job["spec"]?["podFailurePolicy"] is not null;

    /// <summary>
    /// Kubernetes' isPodFailed: phase Failed, or (unless only failed pods are replaced) being deleted before
    /// succeeding, since a deleted pod may never reach a phase.
    /// </summary>
    private static bool IsPodFailed(JsonObject job, JsonObject pod) =>
        Str(pod["status"]?["phase"]) == "Failed"
        || (!OnlyReplaceFailedPods(job) && IsDeleting(pod) && Str(pod["status"]?["phase"]) != "Succeeded");

    private static bool IsTerminating(JsonObject pod) =>
        IsDeleting(pod) && Str(pod["status"]?["phase"]) is not ("Succeeded" or "Failed");

    private static PodOutcome Outcome(JsonObject job, JsonObject pod)
    {
        if (Str(pod["status"]?["phase"]) == "Succeeded")
        {
            return PodOutcome.Succeeded;
        }

        // Once the job is failing, every pod it removes counts as failed.
        var failing = HasCondition(job, "FailureTarget") || HasCondition(job, "Failed");
        if (IsPodFailed(job, pod) || (failing && IsDeleting(pod)))
        {
            return PodFailurePolicy.Match(job, pod).CountFailed ? PodOutcome.Failed : PodOutcome.Ignored;
        }

        return IsDeleting(pod) && (HasCondition(job, "SuccessCriteriaMet") || HasCondition(job, "Complete") || IsDeleting(job))
            ? PodOutcome.Ignored
            : PodOutcome.Running;
    }

    /// <summary>Kubernetes' isIndexFailed: a FailIndex rule matched, or the index used up <c>backoffLimitPerIndex</c>.</summary>
    private static bool IsIndexFailed(JsonObject job, JsonObject pod)
    {
        if (!IsPodFailed(job, pod))
        {
            return false;
        }

        var (_, countFailed, action) = PodFailurePolicy.Match(job, pod);
        return action == PodFailurePolicy.FailIndex || (countFailed && IndexFailureCount(pod) >= Int(job["spec"]?["backoffLimitPerIndex"]));
    }

    /// <summary>The failed pod of an index whose replacement is next: the one with the most failures before it, the latest on a tie.</summary>
    private static JsonObject? LastFailedPod(JsonObject job, List<JsonObject> owned, int index) =>
        owned.Where(p => CompletionIndex(p) == index && IsPodFailed(job, p))
            .OrderBy(p => IndexFailureCount(p) + IndexIgnoredFailureCount(p))
            .ThenBy(JobBackoff.FinishedAt)
            .LastOrDefault();

    /// <summary>Kubernetes' getNewIndexFailureCounts: the replaced pod's counts, plus its own failure on the side the policy puts it.</summary>
    private static (int Failures, int Ignored) NewIndexFailureCounts(JsonObject job, JsonObject? replaced)
    {
        if (replaced is null)
        {
            return (0, 0);
        }

        var (failures, ignored) = (IndexFailureCount(replaced), IndexIgnoredFailureCount(replaced));
        return PodFailurePolicy.Match(job, replaced).CountFailed ? (failures + 1, ignored) : (failures, ignored + 1);
    }

    private static int IndexFailureCount(JsonObject pod) => AnnotationCount(pod, IndexFailureCountAnnotation);

    private static int IndexIgnoredFailureCount(JsonObject pod) => AnnotationCount(pod, IndexIgnoredFailureCountAnnotation);

    private static int AnnotationCount(JsonObject pod, string annotation) =>
        int.TryParse(Annotation(pod, annotation), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

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

    /// <summary>Kubernetes' completedIndexes format: sorted, with runs of three or more as <c>a-b</c> ("1,3-5,7,8").</summary>
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
                : string.Create(CultureInfo.InvariantCulture, $"{sorted[i]}{(j == i + 1 ? "," : "-")}{sorted[j]}"));
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {Job} backs off after {Failures} failures: next pod in {DelayMs} ms")]
    private partial void LogBackingOff(string job, int failures, double delayMs);
}
