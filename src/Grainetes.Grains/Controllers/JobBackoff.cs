using System.Text.Json.Nodes;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// The Job controller's pod failure back-off (pkg/controller/job/backoff_utils.go), computed from the job's pods
/// themselves rather than from memory: finished pods stay until the job goes, so every pass (on any silo, after
/// any crash) finds the same failures since the last success and the same time of the last one.
/// </summary>
internal static class JobBackoff
{
    /// <summary>How long creation of replacement pods must still wait; zero when it may go ahead.</summary>
    public static TimeSpan Remaining(int failures, DateTimeOffset? lastFailure, DateTimeOffset now, TimeSpan initial, TimeSpan max)
    {
        if (failures == 0 || lastFailure is not { } last)
        {
            return TimeSpan.Zero;
        }

        var delay = initial;
        for (var i = 1; i < failures; i++)
        {
            delay *= 2;
            if (delay >= max)
            {
                delay = max;
                break;
            }
        }

        var elapsed = now - last;
        return delay < elapsed ? TimeSpan.Zero : delay - elapsed;
    }

    /// <summary>
    /// Failures after the last success and when the latest of them happened (Kubernetes' backoffRecord), from
    /// the pods that succeeded and the pods counted as failed.
    /// </summary>
    public static (int Failures, DateTimeOffset? LastFailure) Record(IEnumerable<JsonObject> succeeded, IEnumerable<JsonObject> failed)
    {
        var lastSuccess = succeeded.Select(FinishedAt).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
        var after = failed.Select(FinishedAt).Where(t => t > lastSuccess).ToList();
        return after.Count == 0 ? (0, null) : (after.Count, after.Max());
    }

    /// <summary>
    /// Kubernetes' getFinishedTime: the last container's finish when all finished, else the Ready=False transition,
    /// else the deletion time less the grace period, else the creation time.
    /// </summary>
    public static DateTimeOffset FinishedAt(JsonObject pod)
    {
        var statuses = (pod["status"]?["containerStatuses"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        if (statuses.Count > 0)
        {
            var finished = statuses.Select(s => ControllerJson.Time(s["state"]?["terminated"]?["finishedAt"])).ToList();
            if (finished.All(t => t is not null))
            {
                return finished.Max()!.Value;
            }
        }

        var ready = (pod["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => Str(c["type"]) == "Ready");
        if (ready is not null && Str(ready["status"]) == "False" && ControllerJson.Time(ready["lastTransitionTime"]) is { } transition)
        {
            return transition;
        }

        if (ControllerJson.Time(pod["metadata"]?["deletionTimestamp"]) is { } deleted)
        {
            return deleted.AddSeconds(-Int(pod["metadata"]?["deletionGracePeriodSeconds"]));
        }

        return Created(pod);
    }
}
