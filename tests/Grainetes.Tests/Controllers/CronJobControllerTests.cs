using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Controllers;
using Grainetes.Tests.EndToEnd;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// The CronJob controller on a fake clock (its own; everything else runs on real time): the test moves the
/// clock past a slot and wakes the controller, as the slot's timer would.
/// </summary>
[Collection(ControllersCollection.Name)]
public sealed class CronJobControllerTests(ControllersClusterFixture fixture)
{
    private const string CronJobs = "cronjobs.batch";
    private const string Jobs = "jobs.batch";

    private static JsonObject CronJob(string name, string policy = "Allow", int successfulHistory = 3) => new()
    {
        ["apiVersion"] = "batch/v1",
        ["kind"] = "CronJob",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["schedule"] = "* * * * *",

            // Created suspended: the shared fake clock may already be minutes ahead of the creation time.
            ["suspend"] = true,
            ["concurrencyPolicy"] = policy,
            ["successfulJobsHistoryLimit"] = successfulHistory,
            ["jobTemplate"] = new JsonObject { ["spec"] = JobControllerTests.Job("unused", 1, 1)["spec"]!.DeepClone() },
        },
    };

    /// <summary>Moves the controller's clock 5 s past the next minute (never before the object's creation) and returns that slot.</summary>
    private DateTimeOffset AdvanceToNextSlot(DateTimeOffset notBefore)
    {
        var clock = fixture.CronClock;
        var from = clock.GetUtcNow() > notBefore ? clock.GetUtcNow() : notBefore;
        var slot = new DateTimeOffset(from.Year, from.Month, from.Day, from.Hour, from.Minute, 0, TimeSpan.Zero).AddMinutes(1);
        clock.SetUtcNow(slot.AddSeconds(5));
        return slot;
    }

    private Task WakeAsync(Workloads w, string name) => fixture.Grains.GetGrain<ICronJobControllerGrain>(w.Ns + "/" + name).Reconcile();

    private static Task ResumeAsync(Workloads w, string name) =>
        w.MergePatchAsync(CronJobs, name, new JsonObject { ["spec"] = new JsonObject { ["suspend"] = false } });

    private static async Task<List<JsonObject>> OwnedJobsAsync(Workloads w, string uid) =>
        (await w.ListAsync(Jobs)).Where(j => (string?)ControllerRef(j)?["uid"] == uid && !IsDeleting(j)).ToList();

    private static DateTimeOffset Created(JsonObject obj) => DateTimeOffset.Parse((string)obj["metadata"]!["creationTimestamp"]!, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task CreatesOneJobPerSlotNamedAfterTheSlotEvenWhenItsStatusWriteIsLost()
    {
        var w = new Workloads(fixture.Grains);
        var cj = JsonNode.Parse(await w.CreateAsync(CronJobs, CronJob("tick")))!.AsObject();
        var uid = (string)cj["metadata"]!["uid"]!;
        var slot = AdvanceToNextSlot(Created(cj).AddSeconds(1));
        await ResumeAsync(w, "tick");
        await WakeAsync(w, "tick");

        var expected = CronJobControllerGrain.JobName("tick", slot);
        var job = await Poll.UntilAsync(() => w.GetAsync(Jobs, expected), j => j is not null, Deadline, "the slot's job");
        Assert.Equal("CronJob", (string?)ControllerRef(job!)!["kind"]);
        Assert.NotNull(job!["metadata"]!["annotations"]!["batch.kubernetes.io/cronjob-scheduled-timestamp"]);
        var status = await Poll.UntilAsync(
            async () => (await w.GetAsync(CronJobs, "tick"))!["status"],
            s => s?["lastScheduleTime"] is not null && (s["active"] as JsonArray)?.Count == 1,
            Deadline,
            "lastScheduleTime and the active job in status");
        Assert.Equal(slot, DateTimeOffset.Parse((string)status!["lastScheduleTime"]!, System.Globalization.CultureInfo.InvariantCulture));

        // Forget the slot was run, as a crash between the job's create and the status write would: the
        // retry meets the existing name and records it again rather than running the slot twice.
        var current = (await w.GetAsync(CronJobs, "tick"))!;
        current["status"] = new JsonObject();
        current["metadata"]!.AsObject().Remove("resourceVersion");
        await w.Object(CronJobs, "tick").Update(current.ToJsonString(), new WriteOptions { Subresource = "status" });
        for (var i = 0; i < 3; i++)
        {
            await WakeAsync(w, "tick");
        }

        await Poll.UntilAsync(async () => (await w.GetAsync(CronJobs, "tick"))!["status"]?["lastScheduleTime"], t => t is not null, Deadline, "the slot recorded again");
        var jobs = await OwnedJobsAsync(w, uid);
        Assert.Equal(expected, Name(Assert.Single(jobs)));

        await w.Object(CronJobs, "tick").Delete(DeleteOptions.Default);
    }

    [Fact]
    public async Task ForbidSkipsASlotWhileTheLastJobRuns()
    {
        var w = new Workloads(fixture.Grains);
        var cj = JsonNode.Parse(await w.CreateAsync(CronJobs, CronJob("single", policy: "Forbid")))!.AsObject();
        var uid = (string)cj["metadata"]!["uid"]!;
        var first = AdvanceToNextSlot(Created(cj).AddSeconds(1));
        await ResumeAsync(w, "single");
        await WakeAsync(w, "single");
        await Poll.UntilAsync(() => w.GetAsync(Jobs, CronJobControllerGrain.JobName("single", first)), j => j is not null, Deadline, "the first slot's job");

        AdvanceToNextSlot(first);
        await WakeAsync(w, "single");
        await Poll.UntilAsync(
            () => w.ListAsync("events"),
            events => events.Any(e => (string?)e["reason"] == "JobAlreadyActive" && (string?)e["involvedObject"]?["name"] == "single"),
            Deadline,
            "the JobAlreadyActive event");
        Assert.Single(await OwnedJobsAsync(w, uid));

        await w.Object(CronJobs, "single").Delete(DeleteOptions.Default);
    }

    [Fact]
    public async Task KeepsOnlyTheNewestFinishedJobsUpToTheHistoryLimit()
    {
        var w = new Workloads(fixture.Grains);
        var cj = JsonNode.Parse(await w.CreateAsync(CronJobs, CronJob("history", successfulHistory: 1)))!.AsObject();
        var uid = (string)cj["metadata"]!["uid"]!;
        var slot = AdvanceToNextSlot(Created(cj).AddSeconds(1));
        await ResumeAsync(w, "history");
        var names = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            if (i > 0)
            {
                slot = AdvanceToNextSlot(slot);
            }

            await WakeAsync(w, "history");
            var name = CronJobControllerGrain.JobName("history", slot);
            names.Add(name);
            await Poll.UntilAsync(() => w.GetAsync(Jobs, name), j => j is not null, Deadline, $"job {name}");

            // The stand-in kubelet finishes the job's pod; the Job controller completes the job.
            await Poll.UntilAsync(
                async () =>
                {
                    foreach (var pod in (await w.PodsAsync()).Where(p => (string?)ControllerRef(p)?["name"] == name && (string?)p["status"]?["phase"] != "Succeeded"))
                    {
                        await w.SetStatusAsync(pod, "Succeeded", ready: false);
                    }

                    return await w.GetAsync(Jobs, name);
                },
                j => (j?["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().Any(c => (string?)c["type"] == "Complete") == true,
                Deadline,
                $"job {name} complete");
        }

        await WakeAsync(w, "history");
        var left = await Poll.UntilAsync(() => OwnedJobsAsync(w, uid), jobs => jobs.Count == 1, Deadline, "only the newest job kept");
        Assert.Equal(names[^1], Name(left[0]));
        var status = await Poll.UntilAsync(async () => (await w.GetAsync(CronJobs, "history"))!["status"]!, s => s["lastSuccessfulTime"] is not null && s["active"] is null, Deadline, "lastSuccessfulTime");
        Assert.NotNull(status["lastScheduleTime"]);

        await w.Object(CronJobs, "history").Delete(DeleteOptions.Default);
    }
}
