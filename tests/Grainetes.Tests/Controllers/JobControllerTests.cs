using System.Text.Json.Nodes;
using Grainetes.Tests.EndToEnd;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>The Job controller against real store grains, with the test as the kubelet that finishes pods.</summary>
[Collection(ControllersCollection.Name)]
public sealed class JobControllerTests(ControllersClusterFixture fixture)
{
    private const string Jobs = "jobs.batch";
    private const string Tracking = "batch.kubernetes.io/job-tracking";

    internal static JsonObject Job(string name, int completions, int parallelism, int backoffLimit = 6, string? mode = null, int? activeDeadlineSeconds = null)
    {
        var spec = new JsonObject
        {
            ["completions"] = completions,
            ["parallelism"] = parallelism,
            ["backoffLimit"] = backoffLimit,
            ["template"] = new JsonObject
            {
                ["spec"] = new JsonObject
                {
                    ["restartPolicy"] = "Never",
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = "work", ["image"] = "busybox:1" }),
                },
            },
        };
        if (mode is not null)
        {
            spec["completionMode"] = mode;
        }

        if (activeDeadlineSeconds is { } deadline)
        {
            spec["activeDeadlineSeconds"] = deadline;
        }

        return new JsonObject { ["apiVersion"] = "batch/v1", ["kind"] = "Job", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec };
    }

    private static bool HasCondition(JsonObject? job, string type) =>
        (job?["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().Any(c => (string?)c["type"] == type && (string?)c["status"] == "True") == true;

    private static bool IsRunning(JsonObject pod) => !IsDeleting(pod) && (string?)pod["status"]?["phase"] is not ("Succeeded" or "Failed");

    private static async Task<List<JsonObject>> OwnedAsync(Workloads w, string uid) =>
        (await w.PodsAsync()).Where(p => (string?)ControllerRef(p)?["uid"] == uid).ToList();

    [Fact]
    public async Task RunsThreeCompletionsTwoAtATimeAndCountsEachPodOnce()
    {
        var w = new Workloads(fixture.Grains);
        var job = JsonNode.Parse(await w.CreateAsync(Jobs, Job("work", completions: 3, parallelism: 2)))!.AsObject();
        var uid = (string)job["metadata"]!["uid"]!;
        Assert.Equal(uid, (string?)job["spec"]!["selector"]!["matchLabels"]!["batch.kubernetes.io/controller-uid"]);

        var maxActive = 0;
        var seen = new HashSet<string>();
        await Poll.UntilAsync(
            async () =>
            {
                var pods = await OwnedAsync(w, uid);
                maxActive = Math.Max(maxActive, pods.Count(IsRunning));
                foreach (var pod in pods)
                {
                    seen.Add(Name(pod));
                }

                // The stand-in kubelet finishes one running pod per look.
                if (pods.FirstOrDefault(IsRunning) is { } next)
                {
                    await w.SetStatusAsync(next, "Succeeded", ready: false);
                }

                return await w.GetAsync(Jobs, "work");
            },
            j => HasCondition(j, "Complete"),
            Deadline,
            "the job complete");

        var status = (await w.GetAsync(Jobs, "work"))!["status"]!;
        Assert.Equal(3, Int(status["succeeded"]));
        Assert.Equal(0, Int(status["failed"]));
        Assert.Equal(0, Int(status["active"]));
        Assert.NotNull(status["startTime"]);
        Assert.NotNull(status["completionTime"]);
        Assert.True(maxActive <= 2, $"{maxActive} pods ran at once");
        Assert.Equal(3, seen.Count);

        var pods = await OwnedAsync(w, uid);
        Assert.Equal(3, pods.Count);
        Assert.All(pods, p =>
        {
            Assert.StartsWith("work-", Name(p), StringComparison.Ordinal);
            Assert.Equal("work", (string?)p["metadata"]!["labels"]!["job-name"]);
            Assert.Equal(uid, (string?)p["metadata"]!["labels"]!["batch.kubernetes.io/controller-uid"]);
            Assert.Equal("batch/v1", (string?)ControllerRef(p)!["apiVersion"]);
            Assert.DoesNotContain(Tracking, (p["metadata"]!["finalizers"] as JsonArray)?.Select(f => (string?)f) ?? []);
        });
    }

    [Fact]
    public async Task FailsWithBackoffLimitExceededOnceFailuresPassTheLimit()
    {
        var w = new Workloads(fixture.Grains);
        var uid = (string)JsonNode.Parse(await w.CreateAsync(Jobs, Job("flaky", completions: 1, parallelism: 1, backoffLimit: 1)))!["metadata"]!["uid"]!;
        var failedJob = await Poll.UntilAsync(
            async () =>
            {
                if ((await OwnedAsync(w, uid)).FirstOrDefault(IsRunning) is { } next)
                {
                    await w.SetStatusAsync(next, "Failed", ready: false);
                }

                return await w.GetAsync(Jobs, "flaky");
            },
            j => HasCondition(j, "Failed"),
            Deadline,
            "the job failed");

        var condition = (failedJob!["status"]!["conditions"] as JsonArray)!.OfType<JsonObject>().Single(c => (string?)c["type"] == "Failed");
        Assert.Equal("BackoffLimitExceeded", (string?)condition["reason"]);
        Assert.Equal(2, Int(failedJob["status"]!["failed"]));
        Assert.Equal(0, Int(failedJob["status"]!["active"]));
        Assert.Equal(2, (await OwnedAsync(w, uid)).Count);
    }

    [Fact]
    public async Task AnIndexedJobRunsEachIndexOnceWithItsAnnotationAndEnv()
    {
        var w = new Workloads(fixture.Grains);
        var uid = (string)JsonNode.Parse(await w.CreateAsync(Jobs, Job("idx", completions: 3, parallelism: 3, mode: "Indexed")))!["metadata"]!["uid"]!;
        var pods = await Poll.UntilAsync(() => OwnedAsync(w, uid), p => p.Count == 3, Deadline, "3 indexed pods");
        var indexes = pods.Select(p => (string?)p["metadata"]!["annotations"]!["batch.kubernetes.io/job-completion-index"]).Order().ToList();
        Assert.Equal(["0", "1", "2"], indexes);
        Assert.All(pods, p =>
        {
            var env = (p["spec"]!["containers"]![0]!["env"] as JsonArray)!.OfType<JsonObject>().Single(e => (string?)e["name"] == "JOB_COMPLETION_INDEX");
            Assert.Equal("metadata.annotations['batch.kubernetes.io/job-completion-index']", (string?)env["valueFrom"]!["fieldRef"]!["fieldPath"]);
        });

        foreach (var pod in pods)
        {
            await w.SetStatusAsync(pod, "Succeeded", ready: false);
        }

        var done = await Poll.UntilAsync(() => w.GetAsync(Jobs, "idx"), j => HasCondition(j, "Complete"), Deadline, "the indexed job complete");
        Assert.Equal("0-2", (string?)done!["status"]!["completedIndexes"]);
        Assert.Equal(3, Int(done["status"]!["succeeded"]));
        Assert.Equal(3, (await OwnedAsync(w, uid)).Count);
    }

    [Fact]
    public async Task ActiveDeadlineFailsTheJobAndRemovesItsPods()
    {
        var w = new Workloads(fixture.Grains);
        var uid = (string)JsonNode.Parse(await w.CreateAsync(Jobs, Job("slow", completions: 1, parallelism: 1, activeDeadlineSeconds: 2)))!["metadata"]!["uid"]!;
        var failed = await Poll.UntilAsync(() => w.GetAsync(Jobs, "slow"), j => HasCondition(j, "Failed"), Deadline, "the job past its deadline");
        var condition = (failed!["status"]!["conditions"] as JsonArray)!.OfType<JsonObject>().Single(c => (string?)c["type"] == "Failed");
        Assert.Equal("DeadlineExceeded", (string?)condition["reason"]);
        await Poll.UntilAsync(() => OwnedAsync(w, uid), p => p.Count == 0, Deadline, "the job's pods gone");
    }
}
