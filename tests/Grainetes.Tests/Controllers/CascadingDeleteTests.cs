using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Tests.EndToEnd;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// Deleting a Deployment with each propagation policy, on two silos, with the controllers running: what goes,
/// in which order, and what stays. (The plain background case is also covered by DeploymentControllerTests.)
/// </summary>
[Collection(MultiSiloCollection.Name)]
public sealed class CascadingDeleteTests(MultiSiloClusterFixture fixture)
{
    private const string Deploy = "deployments.apps";
    private const string Rs = "replicasets.apps";
    private const string Hold = "test.grainetes.io/hold";

    private static JsonObject Finalizers(params string[] names) =>
        new() { ["metadata"] = new JsonObject { ["finalizers"] = names.Length == 0 ? null : new JsonArray(names.Select(n => (JsonNode?)n).ToArray()) } };

    private static List<string> FinalizersOf(JsonObject? obj) =>
        (obj?["metadata"]?["finalizers"] as JsonArray ?? []).Select(f => (string)f!).ToList();

    private static JsonArray? OwnersOf(JsonObject obj) => obj["metadata"]?["ownerReferences"] as JsonArray;

    private async Task<(Workloads W, JsonObject Deployment, JsonObject ReplicaSet, List<JsonObject> Pods)> RolledOutAsync(int replicas)
    {
        var w = new Workloads(fixture.Grains);
        await w.CreateAsync(Deploy, Deployment("web", replicas));
        await w.KubeletUntilAsync(() => w.RolloutCompleteAsync("web"), what: "rollout");
        var rs = Assert.Single(await w.ListAsync(Rs));
        var pods = await w.PodsAsync();
        Assert.Equal(replicas, pods.Count);
        return (w, (await w.GetAsync(Deploy, "web"))!, rs, pods);
    }

    [Fact]
    public async Task BackgroundRemovesTheDeploymentAtOnceAndItsReplicaSetsAndPodsAfter()
    {
        var (w, _, _, _) = await RolledOutAsync(2);

        var result = await w.Object(Deploy, "web").Delete(new DeleteOptions { PropagationPolicy = "Background" });

        Assert.True(result.Removed);
        Assert.Null(await w.GetAsync(Deploy, "web"));
        await Poll.UntilAsync(async () => (await w.ListAsync(Rs)).Count + (await w.PodsAsync()).Count, n => n == 0, Deadline, "replica set and pods collected");
    }

    [Fact]
    public async Task ForegroundHoldsTheDeploymentUntilItsBlockingDependentsAreGoneButNotForOthers()
    {
        var (w, d, rs, pods) = await RolledOutAsync(2);
        var held = Name(pods[0]);
        await w.MergePatchAsync("pods", held, Finalizers(Hold));

        // A dependent that does not block its owner's deletion, and lingers on a finalizer of its own.
        await w.CreateAsync("configmaps", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject
            {
                ["name"] = "note",
                ["finalizers"] = new JsonArray(Hold),
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "apps/v1",
                    ["kind"] = "Deployment",
                    ["name"] = "web",
                    ["uid"] = (string)d["metadata"]!["uid"]!,
                    ["blockOwnerDeletion"] = false,
                }),
            },
        });

        var result = await w.Object(Deploy, "web").Delete(new DeleteOptions { PropagationPolicy = "Foreground" });
        Assert.False(result.Removed);
        var marked = JsonNode.Parse(result.Json)!.AsObject();
        Assert.NotNull(marked["metadata"]!["deletionTimestamp"]);
        Assert.Contains("foregroundDeletion", FinalizersOf(marked));

        // The replica set is deleted in the foreground too; the pod that is not held goes, the held one waits.
        await Poll.UntilAsync(
            async () => (Rs: await w.GetAsync(Rs, Name(rs)), Pods: await w.PodsAsync(), Note: await w.GetAsync("configmaps", "note")),
            s => s.Rs is not null && IsDeleting(s.Rs) && FinalizersOf(s.Rs).Contains("foregroundDeletion")
                && s.Pods.Count == 1 && Name(s.Pods[0]) == held && IsDeleting(s.Pods[0])
                && s.Note is not null && IsDeleting(s.Note),
            Deadline,
            "replica set marked, free pod gone, held pod and note marked");
        var waiting = await w.GetAsync(Deploy, "web");
        Assert.NotNull(waiting);
        Assert.Contains("foregroundDeletion", FinalizersOf(waiting));
        Assert.Single(await w.PodsAsync());

        await w.MergePatchAsync("pods", held, Finalizers());
        await Poll.UntilAsync(() => w.GetAsync(Deploy, "web"), x => x is null, Deadline, "deployment removed once its blocking dependents are");
        Assert.Null(await w.GetAsync(Rs, Name(rs)));
        Assert.Empty(await w.PodsAsync());
        var note = await w.GetAsync("configmaps", "note");
        Assert.NotNull(note);
        Assert.True(IsDeleting(note));

        await w.MergePatchAsync("configmaps", "note", Finalizers());
        await Poll.UntilAsync(() => w.GetAsync("configmaps", "note"), x => x is null, Deadline, "note removed");
    }

    [Fact]
    public async Task OrphanLeavesTheReplicaSetAndThenItsPodsWithoutTheirOwnerReferences()
    {
        var (w, _, rs, pods) = await RolledOutAsync(2);
        var rsUid = (string)rs["metadata"]!["uid"]!;

        var result = await w.Object(Deploy, "web").Delete(new DeleteOptions { PropagationPolicy = "Orphan" });
        Assert.False(result.Removed);
        Assert.Contains("orphan", FinalizersOf(JsonNode.Parse(result.Json)!.AsObject()));
        await Poll.UntilAsync(() => w.GetAsync(Deploy, "web"), x => x is null, Deadline, "deployment removed");
        var orphanRs = await Poll.UntilAsync(() => w.GetAsync(Rs, Name(rs)), x => x is not null && OwnersOf(x) is null, Deadline, "replica set released");
        Assert.False(IsDeleting(orphanRs!));
        Assert.Equal(2, Int(orphanRs!["spec"]!["replicas"]));

        // Its pods still belong to it: only the deleted owner's references go.
        var kept = await w.PodsAsync();
        Assert.Equal(pods.Select(Name).Order(), kept.Select(Name).Order());
        Assert.All(kept, p => Assert.Equal(rsUid, (string?)ControllerRef(p)?["uid"]));

        await w.Object(Rs, Name(rs)).Delete(new DeleteOptions { PropagationPolicy = "Orphan" });
        await Poll.UntilAsync(() => w.GetAsync(Rs, Name(rs)), x => x is null, Deadline, "replica set removed");
        var orphans = await Poll.UntilAsync(() => w.PodsAsync(), p => p.All(x => OwnersOf(x) is null), Deadline, "pods released");
        Assert.Equal(pods.Select(Name).Order(), orphans.Select(Name).Order());
        Assert.All(orphans, p => Assert.False(IsDeleting(p)));
    }
}
