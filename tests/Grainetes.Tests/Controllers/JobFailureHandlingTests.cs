using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Errors;
using Grainetes.Tests.EndToEnd;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// What the Job controller does with failed pods: the exponential back-off before replacing them, the pod failure
/// policy's actions, and the per-index back-off limit of Indexed jobs. The test plays the kubelet that finishes pods.
/// </summary>
[Collection(ControllersCollection.Name)]
public sealed class JobFailureHandlingTests(ControllersClusterFixture fixture)
{
    private const string Jobs = "jobs.batch";
    private const string IndexAnnotation = "batch.kubernetes.io/job-completion-index";
    private const string FailureCountAnnotation = "batch.kubernetes.io/job-index-failure-count";
    private static readonly TimeSpan Backoff = ControllersClusterFixture.JobPodFailureBackoff;

    private static JsonObject Rule(string action, JsonObject? onExitCodes = null, JsonArray? onPodConditions = null)
    {
        var rule = new JsonObject { ["action"] = action };
        if (onExitCodes is not null)
        {
            rule["onExitCodes"] = onExitCodes;
        }

        if (onPodConditions is not null)
        {
            rule["onPodConditions"] = onPodConditions;
        }

        return rule;
    }

    private static JsonObject ExitCodes(string op, params int[] values) =>
        new() { ["containerName"] = "work", ["operator"] = op, ["values"] = new JsonArray(values.Select(v => (JsonNode?)v).ToArray()) };

    private static JsonObject WithPolicy(JsonObject job, params JsonObject[] rules)
    {
        job["spec"]!["podFailurePolicy"] = new JsonObject { ["rules"] = new JsonArray(rules.Select(r => (JsonNode?)r).ToArray()) };
        return job;
    }

    private static JsonObject? Condition(JsonObject? job, string type) =>
        (job?["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type && (string?)c["status"] == "True");

    private static bool IsRunning(JsonObject pod) => !IsDeleting(pod) && (string?)pod["status"]?["phase"] is not ("Succeeded" or "Failed");

    private static int? Index(JsonObject pod) =>
        int.TryParse((string?)pod["metadata"]?["annotations"]?[IndexAnnotation], CultureInfo.InvariantCulture, out var i) ? i : null;

    private static DateTimeOffset Created(JsonObject obj) =>
        DateTimeOffset.Parse((string)obj["metadata"]!["creationTimestamp"]!, CultureInfo.InvariantCulture);

    private static async Task<List<JsonObject>> OwnedAsync(Workloads w, string uid) =>
        (await w.PodsAsync()).Where(p => (string?)ControllerRef(p)?["uid"] == uid).ToList();

    private static async Task<string> CreateJobAsync(Workloads w, JsonObject job) =>
        (string)JsonNode.Parse(await w.CreateAsync(Jobs, job))!["metadata"]!["uid"]!;

    private static Task<JsonObject> RunningPodAsync(Workloads w, string uid, Func<JsonObject, bool> which, string what) =>
        Poll.UntilAsync(async () => (await OwnedAsync(w, uid)).FirstOrDefault(p => IsRunning(p) && which(p)), p => p is not null, Deadline, what)!;

    /// <summary>The stand-in kubelet ends a pod: terminated container with <paramref name="exitCode"/>, finished now (to the second, as the API keeps it).</summary>
    private static async Task<DateTimeOffset> FinishAsync(Workloads w, JsonObject pod, int exitCode, JsonObject? condition = null)
    {
        var now = DateTimeOffset.UtcNow;
        now = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var stamp = now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var conditions = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "False", ["lastTransitionTime"] = stamp });
        if (condition is not null)
        {
            condition["lastTransitionTime"] = stamp;
            conditions.Add(condition);
        }

        var update = pod.DeepClone().AsObject();
        update["metadata"]!.AsObject().Remove("resourceVersion");
        update["status"] = new JsonObject
        {
            ["phase"] = exitCode == 0 ? "Succeeded" : "Failed",
            ["conditions"] = conditions,
            ["containerStatuses"] = new JsonArray(new JsonObject
            {
                ["name"] = "work",
                ["ready"] = false,
                ["restartCount"] = 0,
                ["image"] = "busybox:1",
                ["imageID"] = "",
                ["started"] = false,
                ["state"] = new JsonObject
                {
                    ["terminated"] = new JsonObject { ["exitCode"] = exitCode, ["reason"] = exitCode == 0 ? "Completed" : "Error", ["finishedAt"] = stamp },
                },
            }),
        };
        await w.Object("pods", Name(pod)).Update(update.ToJsonString(), new WriteOptions { Subresource = "status" });
        return now;
    }

    [Fact]
    public void TheBackoffDoublesFromTheBaseUpToTheCapCountedFromTheLastFailure()
    {
        var failedAt = DateTimeOffset.UnixEpoch.AddDays(1);
        var (initial, max) = (TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(6));
        Assert.Equal(TimeSpan.Zero, Grainetes.Grains.Controllers.JobBackoff.Remaining(0, null, failedAt, initial, max));
        Assert.Equal(TimeSpan.FromSeconds(7), Grainetes.Grains.Controllers.JobBackoff.Remaining(1, failedAt, failedAt.AddSeconds(3), initial, max));
        Assert.Equal(TimeSpan.FromSeconds(40), Grainetes.Grains.Controllers.JobBackoff.Remaining(3, failedAt, failedAt, initial, max));
        Assert.Equal(max, Grainetes.Grains.Controllers.JobBackoff.Remaining(12, failedAt, failedAt, initial, max));
        Assert.Equal(TimeSpan.Zero, Grainetes.Grains.Controllers.JobBackoff.Remaining(2, failedAt, failedAt.AddSeconds(21), initial, max));
    }

    [Fact]
    public async Task AFailedPodIsReplacedOnlyAfterABackoffThatDoublesWithEachFailure()
    {
        var w = new Workloads(fixture.Grains);
        var uid = await CreateJobAsync(w, JobControllerTests.Job("retry", completions: 1, parallelism: 1, backoffLimit: 3));

        var first = await RunningPodAsync(w, uid, _ => true, "the first pod");
        var firstFailed = await FinishAsync(w, first, exitCode: 1);
        var second = await RunningPodAsync(w, uid, p => Name(p) != Name(first), "the first replacement");
        var secondFailed = await FinishAsync(w, second, exitCode: 1);
        var third = await RunningPodAsync(w, uid, p => Name(p) != Name(first) && Name(p) != Name(second), "the second replacement");

        // Each replacement waited its back-off from the failure before it: the base, then twice the base.
        Assert.True(Created(second) >= firstFailed + Backoff, $"replacement created {Created(second):O}, failure at {firstFailed:O}");
        Assert.True(Created(third) >= secondFailed + (2 * Backoff), $"replacement created {Created(third):O}, failure at {secondFailed:O}");

        await FinishAsync(w, third, exitCode: 0);
        var done = await Poll.UntilAsync(() => w.GetAsync(Jobs, "retry"), j => Condition(j, "Complete") is not null, Deadline, "the job complete");
        Assert.Equal(2, Int(done!["status"]!["failed"]));
        Assert.Equal(1, Int(done["status"]!["succeeded"]));
        Assert.Equal(3, (await OwnedAsync(w, uid)).Count);
    }

    [Fact]
    public async Task AFailJobRuleFailsTheJobAndACountRuleCountsTheFailure()
    {
        var w = new Workloads(fixture.Grains);
        var job = WithPolicy(
            JobControllerTests.Job("policy", completions: 1, parallelism: 1, backoffLimit: 6),
            Rule("Count", ExitCodes("In", 3)),
            Rule("FailJob", ExitCodes("NotIn", 3)));
        var uid = await CreateJobAsync(w, job);
        var stored = (await w.GetAsync(Jobs, "policy"))!;
        Assert.Equal("Failed", (string?)stored["spec"]!["podReplacementPolicy"]);

        // Exit code 3 is counted like any failure: the pod is replaced.
        var first = await RunningPodAsync(w, uid, _ => true, "the first pod");
        await FinishAsync(w, first, exitCode: 3);
        var second = await RunningPodAsync(w, uid, p => Name(p) != Name(first), "a replacement after a counted failure");

        // Any other code matches the FailJob rule (index 1): FailureTarget first, then Failed, with Kubernetes' message.
        await FinishAsync(w, second, exitCode: 5);
        var failed = await Poll.UntilAsync(() => w.GetAsync(Jobs, "policy"), j => Condition(j, "Failed") is not null, Deadline, "the job failed");
        var message = $"Container work for pod {w.Ns}/{Name(second)} failed with exit code 5 matching FailJob rule at index 1";
        Assert.Equal("PodFailurePolicy", (string?)Condition(failed, "Failed")!["reason"]);
        Assert.Equal(message, (string?)Condition(failed, "Failed")!["message"]);
        Assert.Equal("PodFailurePolicy", (string?)Condition(failed, "FailureTarget")!["reason"]);
        Assert.Equal(2, Int(failed!["status"]!["failed"]));
        Assert.Equal(2, (await OwnedAsync(w, uid)).Count);

        var events = await Poll.UntilAsync(
            () => w.ListAsync("events"),
            es => es.Any(e => (string?)e["reason"] == "PodFailurePolicy"),
            Deadline,
            "the PodFailurePolicy event");
        var warning = events.Single(e => (string?)e["reason"] == "PodFailurePolicy");
        Assert.Equal("Warning", (string?)warning["type"]);
        Assert.Equal(message, (string?)warning["message"]);
        Assert.Equal("policy", (string?)warning["involvedObject"]!["name"]);
    }

    [Fact]
    public async Task AnIgnoreRuleOnDisruptionTargetKeepsTheFailureOutOfTheBackoffLimit()
    {
        var w = new Workloads(fixture.Grains);
        var job = WithPolicy(
            JobControllerTests.Job("disrupted", completions: 1, parallelism: 1, backoffLimit: 0),
            Rule("Ignore", onPodConditions: new JsonArray(new JsonObject { ["type"] = "DisruptionTarget" })));
        var uid = await CreateJobAsync(w, job);
        Assert.Equal("True", (string?)(await w.GetAsync(Jobs, "disrupted"))!["spec"]!["podFailurePolicy"]!["rules"]![0]!["onPodConditions"]![0]!["status"]);

        // backoffLimit 0 would fail the job at the first counted failure; an evicted pod is not one.
        var first = await RunningPodAsync(w, uid, _ => true, "the first pod");
        await FinishAsync(w, first, exitCode: 137, new JsonObject
        {
            ["type"] = "DisruptionTarget",
            ["status"] = "True",
            ["reason"] = "DeletionByTaintManager",
            ["message"] = "Taint manager: deleting due to NoExecute taint",
        });
        var second = await RunningPodAsync(w, uid, p => Name(p) != Name(first), "a replacement of the evicted pod");
        await Poll.UntilAsync(
            async () => (await OwnedAsync(w, uid)).Single(p => Name(p) == Name(first)),
            p => (p["metadata"]!["finalizers"] as JsonArray)?.Count is null or 0,
            Deadline,
            "the ignored pod released");
        Assert.Equal(0, Int((await w.GetAsync(Jobs, "disrupted"))!["status"]!["failed"]));

        await FinishAsync(w, second, exitCode: 0);
        var done = await Poll.UntilAsync(() => w.GetAsync(Jobs, "disrupted"), j => Condition(j, "Complete") is not null, Deadline, "the job complete");
        Assert.Equal(0, Int(done!["status"]!["failed"]));
        Assert.Null(Condition(done, "Failed"));
    }

    [Fact]
    public async Task BackoffLimitPerIndexAndFailIndexFailIndexesNotTheWholeJobAtOnce()
    {
        var w = new Workloads(fixture.Grains);
        var job = WithPolicy(JobControllerTests.Job("perindex", completions: 3, parallelism: 3, mode: "Indexed"), Rule("FailIndex", ExitCodes("In", 7)));
        job["spec"]!.AsObject().Remove("backoffLimit");
        job["spec"]!["backoffLimitPerIndex"] = 1;
        var uid = await CreateJobAsync(w, job);
        Assert.Equal(int.MaxValue, Int((await w.GetAsync(Jobs, "perindex"))!["spec"]!["backoffLimit"]));

        var pods = await Poll.UntilAsync(() => OwnedAsync(w, uid), p => p.Count == 3, Deadline, "a pod per index");
        Assert.All(pods, p => Assert.Equal("0", (string?)p["metadata"]!["annotations"]![FailureCountAnnotation]));
        var byIndex = pods.ToDictionary(p => Index(p)!.Value);

        // Index 0 matches the FailIndex rule: failed at once. Index 1 fails once within its limit: retried.
        await FinishAsync(w, byIndex[0], exitCode: 7);
        await FinishAsync(w, byIndex[1], exitCode: 1);
        await FinishAsync(w, byIndex[2], exitCode: 0);
        var retry = await RunningPodAsync(w, uid, p => Index(p) == 1 && Name(p) != Name(byIndex[1]), "index 1 retried");
        Assert.Equal("1", (string?)retry["metadata"]!["annotations"]![FailureCountAnnotation]);
        var running = await Poll.UntilAsync(() => w.GetAsync(Jobs, "perindex"), j => (string?)j?["status"]?["failedIndexes"] == "0", Deadline, "index 0 failed");
        Assert.Null(Condition(running, "FailureTarget"));

        // Its second failure uses up backoffLimitPerIndex 1: every index is now done, two of them failed.
        await FinishAsync(w, retry, exitCode: 1);
        var failed = await Poll.UntilAsync(() => w.GetAsync(Jobs, "perindex"), j => Condition(j, "Failed") is not null, Deadline, "the job failed");
        Assert.Equal("FailedIndexes", (string?)Condition(failed, "Failed")!["reason"]);
        Assert.Equal("Job has failed indexes", (string?)Condition(failed, "Failed")!["message"]);
        Assert.Equal("0,1", (string?)failed!["status"]!["failedIndexes"]);
        Assert.Equal("2", (string?)failed["status"]!["completedIndexes"]);
        Assert.Equal(3, Int(failed["status"]!["failed"]));

        // A failed index never ran again; the retried one ran twice.
        var perIndex = (await OwnedAsync(w, uid)).GroupBy(p => Index(p)!.Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(1, perIndex[0]);
        Assert.Equal(2, perIndex[1]);
        Assert.Equal(1, perIndex[2]);
    }

    [Fact]
    public async Task MoreFailedIndexesThanMaxFailedIndexesFailTheJobAndStopTheRest()
    {
        var w = new Workloads(fixture.Grains);
        var job = JobControllerTests.Job("maxfailed", completions: 2, parallelism: 2, mode: "Indexed");
        job["spec"]!["backoffLimitPerIndex"] = 0;
        job["spec"]!["maxFailedIndexes"] = 0;
        var uid = await CreateJobAsync(w, job);
        var pods = await Poll.UntilAsync(() => OwnedAsync(w, uid), p => p.Count == 2, Deadline, "a pod per index");

        await FinishAsync(w, pods.Single(p => Index(p) == 0), exitCode: 1);
        var failed = await Poll.UntilAsync(() => w.GetAsync(Jobs, "maxfailed"), j => Condition(j, "Failed") is not null, Deadline, "the job failed");
        Assert.Equal("MaxFailedIndexesExceeded", (string?)Condition(failed, "Failed")!["reason"]);
        Assert.Equal("Job has exceeded the specified maximal number of failed indexes", (string?)Condition(failed, "Failed")!["message"]);
        // Index 1's pod was stopped, not left running (and, removed before succeeding, counts as a failed index too, as in Kubernetes).
        Assert.StartsWith("0", (string?)failed!["status"]!["failedIndexes"], StringComparison.Ordinal);
        Assert.DoesNotContain(await OwnedAsync(w, uid), p => Index(p) == 1 && IsRunning(p));
    }

    [Fact]
    public async Task AnInvalidPodFailurePolicyIsRefusedWithKubernetesMessages()
    {
        var w = new Workloads(fixture.Grains);
        var job = WithPolicy(JobControllerTests.Job("invalid", completions: 1, parallelism: 1), Rule("FailIndex", ExitCodes("In", 0, 2)));
        job["spec"]!["template"]!["spec"]!["restartPolicy"] = "OnFailure";
        var error = await Assert.ThrowsAsync<ApiException>(() => w.CreateAsync(Jobs, job));
        Assert.Equal(422, error.Code);
        Assert.Contains("spec.template.spec.restartPolicy: Invalid value: \"OnFailure\": only \"Never\" is supported when podFailurePolicy is specified", error.Message);
        Assert.Contains("spec.podFailurePolicy.rules[0].action: Invalid value: \"FailIndex\": requires the backoffLimitPerIndex to be set", error.Message);
        Assert.Contains("spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator", error.Message);
    }
}
