using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Tests.EndToEnd;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>The ReplicaSet controller against real store grains: pod counts, ownership, deletion order, status.</summary>
[Collection(ControllersCollection.Name)]
public sealed class ReplicaSetControllerTests(ControllersClusterFixture fixture)
{
    private const string Rs = "replicasets.apps";

    private async Task<List<JsonObject>> OwnedPodsAsync(Workloads w, string uid) =>
        (await w.PodsAsync()).Where(p => (string?)ControllerRef(p)?["uid"] == uid && !IsDeleting(p)).ToList();

    [Fact]
    public async Task CreatesTheReplicasWithControllerReferencesAndReportsThemInStatus()
    {
        var w = new Workloads(fixture.Grains);
        var rs = JsonNode.Parse(await w.CreateAsync(Rs, ReplicaSet("web", 3)))!.AsObject();
        var uid = (string)rs["metadata"]!["uid"]!;

        var pods = await Poll.UntilAsync(() => OwnedPodsAsync(w, uid), p => p.Count == 3, Deadline, "3 pods");
        Assert.All(pods, p =>
        {
            Assert.StartsWith("web-", Name(p), StringComparison.Ordinal);
            Assert.Equal(9, Name(p).Length);
            var owner = ControllerRef(p)!;
            Assert.Equal("apps/v1", (string?)owner["apiVersion"]);
            Assert.Equal("ReplicaSet", (string?)owner["kind"]);
            Assert.Equal("web", (string?)owner["name"]);
            Assert.True((bool?)owner["blockOwnerDeletion"]);
            Assert.Equal("web", (string?)p["metadata"]!["labels"]!["app"]);
        });

        await w.KubeletUntilAsync(async () =>
        {
            var status = (await w.GetAsync(Rs, "web"))!["status"];
            return Int(status?["readyReplicas"]) == 3 && Int(status?["availableReplicas"]) == 3;
        }, what: "3 ready replicas");
        var final = (await w.GetAsync(Rs, "web"))!["status"]!;
        Assert.Equal(3, Int(final["replicas"]));
        Assert.Equal(3, Int(final["fullyLabeledReplicas"]));
        Assert.Equal(1, Int(final["observedGeneration"]));
        Assert.Equal(3, (await OwnedPodsAsync(w, uid)).Count);
    }

    [Fact]
    public async Task ScalesUpAndDownDeletingAnUnreadyPodBeforeReadyOnes()
    {
        var w = new Workloads(fixture.Grains);
        var uid = (string)JsonNode.Parse(await w.CreateAsync(Rs, ReplicaSet("web", 3)))!["metadata"]!["uid"]!;
        await w.KubeletUntilAsync(async () => Int((await w.GetAsync(Rs, "web"))!["status"]?["readyReplicas"]) == 3, what: "3 ready");
        var ready = (await OwnedPodsAsync(w, uid)).Select(Name).ToHashSet();

        await w.MergePatchAsync(Rs, "web", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 4 } });
        var four = await Poll.UntilAsync(() => OwnedPodsAsync(w, uid), p => p.Count == 4, Deadline, "4 pods");
        var unready = Assert.Single(four, p => !ready.Contains(Name(p)));
        Assert.False(IsReady(unready));

        await w.MergePatchAsync(Rs, "web", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 3 } });
        var three = await Poll.UntilAsync(() => OwnedPodsAsync(w, uid), p => p.Count == 3, Deadline, "back to 3 pods");
        Assert.Equal(ready, three.Select(Name).ToHashSet());

        await w.MergePatchAsync(Rs, "web", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 1 } });
        await Poll.UntilAsync(() => OwnedPodsAsync(w, uid), p => p.Count == 1, Deadline, "1 pod");
        var status = await Poll.UntilAsync(async () => (await w.GetAsync(Rs, "web"))!["status"]!, s => Int(s["replicas"]) == 1, Deadline, "status replicas 1");
        Assert.Equal(1, Int(status["availableReplicas"]));
        Assert.Equal(4, Int(status["observedGeneration"]));
    }

    [Fact]
    public async Task APodDeletedByHandOrFailedIsReplaced()
    {
        var w = new Workloads(fixture.Grains);
        var uid = (string)JsonNode.Parse(await w.CreateAsync(Rs, ReplicaSet("web", 2)))!["metadata"]!["uid"]!;
        var pods = await Poll.UntilAsync(() => OwnedPodsAsync(w, uid), p => p.Count == 2, Deadline, "2 pods");

        var victim = Name(pods[0]);
        await w.Object("pods", victim).Delete(DeleteOptions.Default);
        var after = await Poll.UntilAsync(() => OwnedPodsAsync(w, uid), p => p.Count == 2 && p.All(x => Name(x) != victim), Deadline, "a replacement pod");

        var failed = after[0];
        await w.SetStatusAsync(failed, "Failed", ready: false);
        await Poll.UntilAsync(
            () => OwnedPodsAsync(w, uid),
            p => p.Count == 2 && p.All(x => Name(x) != Name(failed)),
            Deadline,
            "the failed pod replaced");
    }

    [Fact]
    public async Task AdoptsMatchingOrphansAndReleasesPodsThatStopMatching()
    {
        var w = new Workloads(fixture.Grains);
        await w.CreateAsync("pods", Pod("stray", new Dictionary<string, string> { ["app"] = "web" }));
        await w.CreateAsync("pods", Pod("other", new Dictionary<string, string> { ["app"] = "db" }));
        var uid = (string)JsonNode.Parse(await w.CreateAsync(Rs, ReplicaSet("web", 2)))!["metadata"]!["uid"]!;

        var owned = await Poll.UntilAsync(() => OwnedPodsAsync(w, uid), p => p.Count == 2 && p.Any(x => Name(x) == "stray"), Deadline, "the orphan adopted");
        var stray = Assert.Single(owned, p => Name(p) == "stray");
        Assert.True((bool?)ControllerRef(stray)!["blockOwnerDeletion"]);
        Assert.Null(ControllerRef((await w.GetAsync("pods", "other"))!));

        // Relabelled out of the selector: released, and a new pod takes its place.
        await w.MergePatchAsync("pods", "stray", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "gone" } } });
        await Poll.UntilAsync(() => OwnedPodsAsync(w, uid), p => p.Count == 2 && p.All(x => Name(x) != "stray"), Deadline, "the relabelled pod replaced");
        Assert.Null(ControllerRef((await w.GetAsync("pods", "stray"))!));
    }
}
