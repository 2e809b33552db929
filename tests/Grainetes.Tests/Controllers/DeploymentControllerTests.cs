using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Tests.EndToEnd;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>The Deployment controller with the ReplicaSet controller and a stand-in kubelet: hashing, revisions, rollouts, status.</summary>
[Collection(ControllersCollection.Name)]
public sealed class DeploymentControllerTests(ControllersClusterFixture fixture)
{
    private const string Deploy = "deployments.apps";
    private const string Rs = "replicasets.apps";
    private const string Revision = "deployment.kubernetes.io/revision";

    private static JsonObject ImagePatch(string image) => new()
    {
        ["spec"] = new JsonObject
        {
            ["template"] = new JsonObject
            {
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = image }) },
            },
        },
    };

    private static JsonObject? Condition(JsonObject d, string type) =>
        (d["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);

    private static string Image(JsonObject obj) => (string)obj["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!;

    [Fact]
    public async Task CreatesAReplicaSetNamedByTheTemplateHashAtRevisionOneAndReportsStatus()
    {
        var w = new Workloads(fixture.Grains);
        await w.CreateAsync(Deploy, Deployment("web", 3));
        await w.KubeletUntilAsync(() => w.RolloutCompleteAsync("web"), what: "rollout complete");

        var d = (await w.GetAsync(Deploy, "web"))!;
        var rs = Assert.Single(await w.ListAsync(Rs));
        var hash = (string)rs["spec"]!["selector"]!["matchLabels"]!["pod-template-hash"]!;
        Assert.Equal("web-" + hash, Name(rs));
        Assert.Equal(hash, (string?)rs["spec"]!["template"]!["metadata"]!["labels"]!["pod-template-hash"]);
        Assert.Equal(hash, (string?)rs["metadata"]!["labels"]!["pod-template-hash"]);
        Assert.Equal("1", (string?)rs["metadata"]!["annotations"]![Revision]);
        Assert.Equal("3", (string?)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/desired-replicas"]);
        Assert.Equal("4", (string?)rs["metadata"]!["annotations"]!["deployment.kubernetes.io/max-replicas"]);
        Assert.Equal("1", (string?)d["metadata"]!["annotations"]![Revision]);
        var owner = ControllerRef(rs)!;
        Assert.Equal("Deployment", (string?)owner["kind"]);
        Assert.Equal((string?)d["metadata"]!["uid"], (string?)owner["uid"]);
        Assert.All(await w.PodsAsync(), p => Assert.Equal(hash, (string?)p["metadata"]!["labels"]!["pod-template-hash"]));

        var status = d["status"]!;
        Assert.Equal(1, Int(status["observedGeneration"]));
        Assert.Equal(3, Int(status["replicas"]));
        Assert.Equal(3, Int(status["updatedReplicas"]));
        Assert.Equal(3, Int(status["readyReplicas"]));
        Assert.Equal(3, Int(status["availableReplicas"]));
        Assert.Equal(0, Int(status["unavailableReplicas"]));
        var available = Condition(d, "Available")!;
        Assert.Equal("True", (string?)available["status"]);
        Assert.Equal("MinimumReplicasAvailable", (string?)available["reason"]);
        var progressing = await Poll.UntilAsync(
            async () => Condition((await w.GetAsync(Deploy, "web"))!, "Progressing"),
            c => (string?)c?["reason"] == "NewReplicaSetAvailable",
            Deadline,
            "Progressing NewReplicaSetAvailable");
        Assert.Equal("True", (string?)progressing!["status"]);
        Assert.Equal($"ReplicaSet \"{Name(rs)}\" has successfully progressed.", (string?)progressing["message"]);
        Assert.NotNull(progressing["lastUpdateTime"]);
        Assert.NotNull(progressing["lastTransitionTime"]);

        var events = await w.ListAsync("events");
        Assert.Contains(events, e => (string?)e["reason"] == "ScalingReplicaSet" && (string?)e["message"] == $"Scaled up replica set {Name(rs)} from 0 to 3");
    }

    [Fact]
    public async Task ARollingUpdateWithSurgeOneAndNoUnavailabilityStaysWithinBoundsAndThenUndoReusesTheOldSet()
    {
        var w = new Workloads(fixture.Grains);
        var strategy = new JsonObject
        {
            ["type"] = "RollingUpdate",
            ["rollingUpdate"] = new JsonObject { ["maxSurge"] = 1, ["maxUnavailable"] = 0 },
        };
        await w.CreateAsync(Deploy, Deployment("web", 3, "nginx:1", strategy));
        await w.KubeletUntilAsync(() => w.RolloutCompleteAsync("web"), what: "first rollout");
        var first = Assert.Single(await w.ListAsync(Rs));

        await w.MergePatchAsync(Deploy, "web", ImagePatch("nginx:2"));
        var bounds = new RolloutBounds(replicas: 3, maxSurge: 1, maxUnavailable: 0);
        await w.KubeletUntilAsync(
            async () => await w.RolloutCompleteAsync("web") && (await w.ListAsync(Rs)).Count == 2,
            bounds.Sample,
            "rolling update");
        bounds.AssertHeld();

        var rss = await w.ListAsync(Rs);
        var second = Assert.Single(rss, r => Name(r) != Name(first));
        Assert.Equal("nginx:2", Image(second));
        Assert.Equal("2", (string?)second["metadata"]!["annotations"]![Revision]);
        Assert.Equal(0, Int(rss.Single(r => Name(r) == Name(first))["spec"]!["replicas"]));
        Assert.Equal("2", (string?)(await w.GetAsync(Deploy, "web"))!["metadata"]!["annotations"]![Revision]);

        // What kubectl rollout undo sends: the old template back. The old set is reused at the next revision.
        await w.MergePatchAsync(Deploy, "web", ImagePatch("nginx:1"));
        await w.KubeletUntilAsync(
            async () => await w.RolloutCompleteAsync("web") && Int((await w.GetAsync(Rs, Name(first)))!["spec"]!["replicas"]) == 3,
            what: "undo");
        Assert.Equal(2, (await w.ListAsync(Rs)).Count);
        Assert.Equal("3", (string?)(await w.GetAsync(Rs, Name(first)))!["metadata"]!["annotations"]![Revision]);
        Assert.Equal("3", (string?)(await w.GetAsync(Deploy, "web"))!["metadata"]!["annotations"]![Revision]);
    }

    [Fact]
    public async Task RecreateRemovesEveryOldPodBeforeStartingNewOnes()
    {
        var w = new Workloads(fixture.Grains);
        await w.CreateAsync(Deploy, Deployment("web", 2, "nginx:1", new JsonObject { ["type"] = "Recreate" }));
        await w.KubeletUntilAsync(() => w.RolloutCompleteAsync("web"), what: "first rollout");

        await w.MergePatchAsync(Deploy, "web", ImagePatch("nginx:2"));
        var mixed = 0;
        await w.KubeletUntilAsync(
            async () => await w.RolloutCompleteAsync("web") && (await w.ListAsync(Rs)).Count == 2,
            pods =>
            {
                if (pods.Select(p => (string?)p["metadata"]!["labels"]!["pod-template-hash"]).Distinct().Count() > 1)
                {
                    mixed++;
                }
            },
            "recreate rollout");
        Assert.Equal(0, mixed);
        Assert.All(await w.PodsAsync(), p => Assert.Equal("nginx:2", (string?)p["spec"]!["containers"]![0]!["image"]));
    }

    [Fact]
    public async Task APausedDeploymentDoesNotRollUntilResumedButStillScales()
    {
        var w = new Workloads(fixture.Grains);
        await w.CreateAsync(Deploy, Deployment("web", 2));
        await w.KubeletUntilAsync(() => w.RolloutCompleteAsync("web"), what: "first rollout");

        await w.MergePatchAsync(Deploy, "web", new JsonObject { ["spec"] = new JsonObject { ["paused"] = true } });
        await w.MergePatchAsync(Deploy, "web", ImagePatch("nginx:2"));
        await w.MergePatchAsync(Deploy, "web", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 3 } });
        var paused = await Poll.UntilAsync(
            async () => (await w.GetAsync(Deploy, "web"))!,
            d => Int(d["status"]?["observedGeneration"]) >= Int(d["metadata"]!["generation"]),
            Deadline,
            "paused deployment observed");
        Assert.Equal("DeploymentPaused", (string?)Condition(paused, "Progressing")?["reason"]);
        var rs = Assert.Single(await w.ListAsync(Rs));
        Assert.Equal("nginx:1", Image(rs));
        await Poll.UntilAsync(async () => Int((await w.GetAsync(Rs, Name(rs)))!["spec"]!["replicas"]), r => r == 3, Deadline, "paused scale to 3");

        await w.MergePatchAsync(Deploy, "web", new JsonObject { ["spec"] = new JsonObject { ["paused"] = false } });
        await w.KubeletUntilAsync(async () => await w.RolloutCompleteAsync("web") && (await w.ListAsync(Rs)).Count == 2, what: "resumed rollout");
        Assert.All((await w.PodsAsync()).Where(p => !IsDeleting(p)), p => Assert.Equal("nginx:2", (string?)p["spec"]!["containers"]![0]!["image"]));
        Assert.Equal(3, (await w.PodsAsync()).Count);
    }

    [Fact]
    public async Task ARestartAnnotationRollsOutANewReplicaSet()
    {
        var w = new Workloads(fixture.Grains);
        await w.CreateAsync(Deploy, Deployment("web", 2));
        await w.KubeletUntilAsync(() => w.RolloutCompleteAsync("web"), what: "first rollout");

        // What kubectl rollout restart patches.
        await w.MergePatchAsync(Deploy, "web", new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["kubectl.kubernetes.io/restartedAt"] = "2025-01-01T00:00:00Z" } },
                },
            },
        });
        await w.KubeletUntilAsync(async () => await w.RolloutCompleteAsync("web") && (await w.ListAsync(Rs)).Count == 2, what: "restart rollout");
        Assert.All(await w.PodsAsync(), p => Assert.Equal("2025-01-01T00:00:00Z", (string?)p["metadata"]!["annotations"]!["kubectl.kubernetes.io/restartedAt"]));
    }

    [Fact]
    public async Task ARolloutWithoutProgressExceedsItsDeadline()
    {
        var w = new Workloads(fixture.Grains);
        var d = Deployment("web", 2);
        d["spec"]!["progressDeadlineSeconds"] = 2;
        await w.CreateAsync(Deploy, d);

        // No kubelet: the pods never become ready.
        var stuck = await Poll.UntilAsync(
            async () => (await w.GetAsync(Deploy, "web"))!,
            x => (string?)Condition(x, "Progressing")?["reason"] == "ProgressDeadlineExceeded",
            Deadline,
            "ProgressDeadlineExceeded");
        Assert.Equal("False", (string?)Condition(stuck, "Progressing")!["status"]);
        Assert.Equal("MinimumReplicasUnavailable", (string?)Condition(stuck, "Available")!["reason"]);
        Assert.Equal(2, Int(stuck["status"]!["unavailableReplicas"]));
    }

    [Fact]
    public async Task OldReplicaSetsBeyondTheHistoryLimitAreDeleted()
    {
        var w = new Workloads(fixture.Grains);
        var d = Deployment("web", 1);
        d["spec"]!["revisionHistoryLimit"] = 1;
        await w.CreateAsync(Deploy, d);
        foreach (var image in new[] { "nginx:2", "nginx:3", "nginx:4" })
        {
            await w.KubeletUntilAsync(() => w.RolloutCompleteAsync("web"), what: "rollout before " + image);
            await w.MergePatchAsync(Deploy, "web", ImagePatch(image));
        }

        await w.KubeletUntilAsync(async () => await w.RolloutCompleteAsync("web") && (await w.ListAsync(Rs)).Count == 2, what: "history pruned to 1");
        var images = (await w.ListAsync(Rs)).Select(Image).Order().ToList();
        Assert.Equal(["nginx:3", "nginx:4"], images);
    }

    [Fact]
    public async Task DeletingADeploymentRemovesItsReplicaSetsAndPods()
    {
        var w = new Workloads(fixture.Grains);
        await w.CreateAsync(Deploy, Deployment("web", 2));
        await w.KubeletUntilAsync(() => w.RolloutCompleteAsync("web"), what: "rollout");

        await w.Object(Deploy, "web").Delete(DeleteOptions.Default);
        await Poll.UntilAsync(
            async () => (await w.ListAsync(Rs)).Count + (await w.PodsAsync()).Count,
            n => n == 0,
            Deadline,
            "replica sets and pods gone");
    }
}
