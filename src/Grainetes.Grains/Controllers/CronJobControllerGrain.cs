using System.Globalization;
using System.Text.Json.Nodes;
using Cronos;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Events;
using Grainetes.Machinery.Errors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// Kubernetes' CronJob controller (v2) for one CronJob. Each slot's Job is named
/// <c>&lt;cronjob&gt;-&lt;minutes since the epoch&gt;</c>, so a repeated attempt for a slot (a late reminder, a
/// pass re-run after a crash before the status write) is a 409 on the same name, never a second Job. The
/// grain timer of <see cref="ReconcilerGrain"/> fires at the next slot while the grain is active; the one-minute
/// reminder is the durable backstop, and missed slots are found from <c>lastScheduleTime</c> as Kubernetes does.
/// </summary>
public sealed partial class CronJobControllerGrain : ReconcilerGrain, ICronJobControllerGrain
{
    public const string Component = "cronjob-controller";
    public const string ScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp";

    private const string CronJobs = "cronjobs.batch";
    private const string Jobs = "jobs.batch";
    private const int MaxMissedSchedules = 100;

    private readonly EventRecorder events;
    private readonly TimeProvider clock;
    private readonly ILogger<CronJobControllerGrain> logger;

    // Which unmet slots were already reported as skipped, so a pass repeated within the slot stays quiet.
    private readonly HashSet<DateTimeOffset> alreadyActiveReported = [];

    public CronJobControllerGrain(EventRecorder events, TimeProvider time, IOptions<CronJobControllerOptions> options, ILogger<CronJobControllerGrain> logger)
        : base(logger, time)
    {
        this.events = events;
        clock = options.Value.Clock ?? time;
        this.logger = logger;
    }

    private protected override TimeSpan ResyncPeriod => TimeSpan.FromMinutes(1);

    /// <summary>The name of the Job for the slot at <paramref name="scheduled"/>, as Kubernetes' getJobName.</summary>
    public static string JobName(string cronJob, DateTimeOffset scheduled) =>
        string.Create(CultureInfo.InvariantCulture, $"{cronJob}-{scheduled.ToUnixTimeSeconds() / 60}");

    private protected override async Task<ReconcileOutcome> ReconcileOnceAsync()
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var json = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(CronJobs, ns, name).GrainKey).Get();
        if (json is null)
        {
            return ReconcileOutcome.Gone;
        }

        var cj = Parse(json);
        var uid = Uid(cj);
        var spec = cj["spec"] as JsonObject ?? new JsonObject();
        var now = clock.GetUtcNow();
        var changed = false;

        var jobs = (await GrainFactory.GetGrain<IResourceCollectionGrain>(Jobs).List(new ListRequest { Namespace = ns })).Items
            .Select(Parse).Where(j => IsControlledBy(j, uid)).ToList();
        var active = jobs.Where(j => !IsJobFinished(j) && !IsDeleting(j)).ToList();
        var status = cj["status"]?.DeepClone() as JsonObject ?? new JsonObject();

        if (jobs.Where(j => HasCondition(j, "Complete")).Select(j => ControllerJson.Time(j["status"]?["completionTime"])).Max() is { } lastSuccess
            && (ControllerJson.Time(status["lastSuccessfulTime"]) is not { } known || known < lastSuccess))
        {
            status["lastSuccessfulTime"] = Format(lastSuccess);
        }

        changed |= await CleanUpHistoryAsync(cj, jobs.Where(j => HasCondition(j, "Complete") && !IsDeleting(j)).ToList(), Int(spec["successfulJobsHistoryLimit"], 3));
        changed |= await CleanUpHistoryAsync(cj, jobs.Where(j => HasCondition(j, "Failed") && !IsDeleting(j)).ToList(), Int(spec["failedJobsHistoryLimit"], 1));

        TimeSpan? requeue = null;
        var suspended = spec["suspend"] is JsonValue s && s.TryGetValue<bool>(out var sv) && sv;
        if (!IsDeleting(cj) && !suspended && ParseSchedule(cj, spec) is { } schedule)
        {
            var (expression, zone) = schedule;
            var next = expression.GetNextOccurrence(now, zone, inclusive: false);
            requeue = next is { } n ? n - now + TimeSpan.FromMilliseconds(100) : null;

            if (await MostRecentUnmetAsync(cj, spec, status, expression, zone, now) is { } scheduled)
            {
                var deadline = JsonNumbersOrNull(spec["startingDeadlineSeconds"]);
                var policy = Str(spec["concurrencyPolicy"]) ?? "Allow";
                if (deadline is { } d && scheduled.AddSeconds(d) < now)
                {
                    await events.RecordAsync(cj, "Warning", "MissSchedule", $"Missed scheduled time to start a job: {Format(scheduled)}", Component);
                }
                else if (policy == "Forbid" && active.Count > 0)
                {
                    // The slot stays unmet: when the running job ends the slot runs, if still within the deadline.
                    if (!alreadyActiveReported.Contains(scheduled))
                    {
                        alreadyActiveReported.Add(scheduled);
                        await events.RecordAsync(cj, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid", Component);
                    }
                }
                else
                {
                    if (policy == "Replace")
                    {
                        foreach (var job in active)
                        {
                            await DeleteJobAsync(cj, job, "SuccessfulDelete");
                        }

                        active.Clear();
                    }

                    if (await CreateJobAsync(cj, ns, uid, scheduled, zone) is { } created)
                    {
                        active.Add(created);
                    }

                    status["lastScheduleTime"] = Format(scheduled);
                    changed = true;
                }
            }
        }

        var refs = new JsonArray();
        foreach (var job in active.OrderBy(j => Name(j), StringComparer.Ordinal))
        {
            refs.Add(new JsonObject
            {
                ["apiVersion"] = "batch/v1",
                ["kind"] = "Job",
                ["name"] = Name(job),
                ["namespace"] = ns,
                ["uid"] = Uid(job),
            });
        }

        if (refs.Count > 0)
        {
            status["active"] = refs;
        }
        else
        {
            status.Remove("active");
        }

        if (Canonical(status) != Canonical(cj["status"] ?? new JsonObject()))
        {
            await WriteStatusAsync(cj, status);
        }

        return new ReconcileOutcome(true, changed, requeue);
    }

    /// <summary>
    /// Kubernetes' mostRecentScheduleTime: the latest slot after <c>lastScheduleTime</c> (or creation, or the
    /// starting deadline, whichever is later) up to now; more than 100 of them is reported, then the latest runs.
    /// </summary>
    private async Task<DateTimeOffset?> MostRecentUnmetAsync(JsonObject cj, JsonObject spec, JsonObject status, CronExpression expression, TimeZoneInfo zone, DateTimeOffset now)
    {
        var earliest = ControllerJson.Time(status["lastScheduleTime"]) ?? Created(cj);
        if (JsonNumbersOrNull(spec["startingDeadlineSeconds"]) is { } deadline && now.AddSeconds(-deadline) > earliest)
        {
            earliest = now.AddSeconds(-deadline);
        }

        if (earliest >= now)
        {
            return null;
        }

        var missed = expression.GetOccurrences(earliest, now, zone, fromInclusive: false, toInclusive: true).Take(MaxMissedSchedules + 1).Count();
        if (missed == 0)
        {
            return null;
        }

        if (missed > MaxMissedSchedules)
        {
            await events.RecordAsync(cj, "Warning", "TooManyMissedTimes", "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew", Component);
        }

        return expression.GetPreviousOccurrence(now, zone, inclusive: true);
    }

    private (CronExpression Expression, TimeZoneInfo Zone)? ParseSchedule(JsonObject cj, JsonObject spec)
    {
        var text = Str(spec["schedule"]) ?? "";
        try
        {
            var zone = Str(spec["timeZone"]) is { Length: > 0 } zoneName ? TimeZoneInfo.FindSystemTimeZoneById(zoneName) : TimeZoneInfo.Utc;
            return (CronExpression.Parse(text.Trim(), CronFormat.Standard), zone);
        }
        catch (Exception ex) when (ex is CronFormatException or TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            LogBadSchedule(ex, Name(cj), text);
            events.RecordAsync(cj, "Warning", "UnparseableSchedule", $"unparseable schedule: {text}: {ex.Message}", Component).Ignore();
            return null;
        }
    }

    private async Task<JsonObject?> CreateJobAsync(JsonObject cj, string ns, string uid, DateTimeOffset scheduled, TimeZoneInfo zone)
    {
        var name = JobName(Name(cj), scheduled);
        var template = cj["spec"]?["jobTemplate"] as JsonObject ?? new JsonObject();
        var meta = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["ownerReferences"] = new JsonArray(OwnerReference("CronJob", Name(cj), uid, "batch/v1")),
        };
        if (template["metadata"]?["labels"] is JsonObject labels)
        {
            meta["labels"] = labels.DeepClone();
        }

        var annotations = template["metadata"]?["annotations"]?.DeepClone() as JsonObject ?? new JsonObject();
        annotations[ScheduledTimestampAnnotation] = TimeZoneInfo.ConvertTime(scheduled, zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
        meta["annotations"] = annotations;
        var job = new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = meta,
            ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
        };
        var grain = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(Jobs, ns, name).GrainKey);
        try
        {
            var created = Parse(await grain.Create(job.ToJsonString(), WriteOptions.Default));
            await events.RecordAsync(cj, "Normal", "SuccessfulCreate", $"Created job {name}", Component);
            LogCreated(name);
            return created;
        }
        catch (ApiException ex) when (ex.Code == 409)
        {
            // This slot's job exists: created by an earlier pass whose status write was lost. Never a second one.
            if (await grain.Get() is { } existing && IsControlledBy(Parse(existing), uid))
            {
                var found = Parse(existing);
                return IsJobFinished(found) ? null : found;
            }

            await events.RecordAsync(cj, "Warning", "FailedCreate", $"Error creating job: {ex.Message}", Component);
            throw;
        }
        catch (ApiException ex)
        {
            await events.RecordAsync(cj, "Warning", "FailedCreate", $"Error creating job: {ex.Message}", Component);
            throw;
        }
    }

    /// <summary>Deletes all but the <paramref name="limit"/> most recently scheduled of <paramref name="finished"/>.</summary>
    private async Task<bool> CleanUpHistoryAsync(JsonObject cj, List<JsonObject> finished, int limit)
    {
        var changed = false;
        foreach (var job in finished.OrderByDescending(ScheduledOrCreated).ThenByDescending(Name, StringComparer.Ordinal).Skip(Math.Max(0, limit)))
        {
            changed |= await DeleteJobAsync(cj, job, "SuccessfulDelete");
        }

        return changed;
    }

    private async Task<bool> DeleteJobAsync(JsonObject cj, JsonObject job, string reason)
    {
        try
        {
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(Jobs, Str(job["metadata"]?["namespace"]) ?? "", Name(job)).GrainKey)
                .Delete(new DeleteOptions { PreconditionUid = Uid(job), PropagationPolicy = "Background" });
            await events.RecordAsync(cj, "Normal", reason, $"Deleted job {Name(job)}", Component);
            return true;
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            return false;
        }
    }

    private async Task WriteStatusAsync(JsonObject cj, JsonObject status)
    {
        var update = cj.DeepClone().AsObject();
        update["status"] = status.DeepClone();
        try
        {
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(CronJobs, Str(cj["metadata"]?["namespace"]) ?? "", Name(cj)).GrainKey)
                .Update(update.ToJsonString(), new WriteOptions { Subresource = "status" });
        }
        catch (ApiException ex) when (ex.Code == 404)
        {
            // Deleted meanwhile: nothing to report on.
        }
    }

    private static DateTimeOffset ScheduledOrCreated(JsonObject job) => ControllerJson.Time(Annotation(job, ScheduledTimestampAnnotation) is { } t ? JsonValue.Create(t) : null) ?? Created(job);

    private static bool IsJobFinished(JsonObject job) => HasCondition(job, "Complete") || HasCondition(job, "Failed");

    private static int? JsonNumbersOrNull(JsonNode? node) => node is null ? null : Grainetes.Machinery.Resources.JsonNumbers.ToInt32(node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created job {Job}")]
    private partial void LogCreated(string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CronJob {CronJob} has an unusable schedule {Schedule}")]
    private partial void LogBadSchedule(Exception ex, string cronJob, string schedule);
}
