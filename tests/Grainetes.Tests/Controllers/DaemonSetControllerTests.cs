using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Tests.EndToEnd;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>The DaemonSet controller against real store grains: one pod per matching node, following nodes as they come and go.</summary>
[Collection(ControllersCollection.Name)]
public sealed class DaemonSetControllerTests(ControllersClusterFixture fixture)
{
    private const string Ds = "daemonsets.apps";

    private IObjectGrain Node(string name) => fixture.Grains.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", name).GrainKey);

    private static JsonObject NodeObject(string name, IDictionary<string, string> labels, JsonArray? taints = null) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))) },
        ["spec"] = taints is null ? new JsonObject() : new JsonObject { ["taints"] = taints },

        // A node not Ready counts as tainted not-ready:NoSchedule, which daemon pods do not tolerate.
        ["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }) },
    };

    private static JsonObject DaemonSet(string name, string pool) => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "DaemonSet",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = new JsonObject
                {
                    ["nodeSelector"] = new JsonObject { ["pool"] = pool },
                    ["containers"] = new JsonArray(new JsonObject { ["name"] = "agent", ["image"] = "busybox:1" }),
                },
            },
        },
    };

    /// <summary>The node a daemon pod is pinned to by its required node affinity.</summary>
    private static string? PinnedNode(JsonObject pod) =>
        (string?)pod["spec"]?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]?["nodeSelectorTerms"]?[0]?["matchFields"]?[0]?["values"]?[0];

    private static async Task<Dictionary<string, List<JsonObject>>> PodsByNodeAsync(Workloads w, string uid) =>
        (await w.PodsAsync()).Where(p => (string?)ControllerRef(p)?["uid"] == uid && !IsDeleting(p))
            .GroupBy(p => PinnedNode(p) ?? "").ToDictionary(g => g.Key, g => g.ToList());

    [Fact]
    public async Task RunsOnePodPerMatchingNodeAndFollowsNodesAsTheyComeAndGo()
    {
        var w = new Workloads(fixture.Grains);
        var pool = w.Ns;
        var nodes = new[] { w.Ns + "-a", w.Ns + "-b", w.Ns + "-other", w.Ns + "-tainted", w.Ns + "-late" };
        try
        {
            await Node(nodes[0]).Create(NodeObject(nodes[0], new Dictionary<string, string> { ["pool"] = pool }).ToJsonString(), WriteOptions.Default);
            await Node(nodes[1]).Create(NodeObject(nodes[1], new Dictionary<string, string> { ["pool"] = pool }).ToJsonString(), WriteOptions.Default);
            await Node(nodes[2]).Create(NodeObject(nodes[2], new Dictionary<string, string> { ["pool"] = "elsewhere" }).ToJsonString(), WriteOptions.Default);
            await Node(nodes[3]).Create(
                NodeObject(nodes[3], new Dictionary<string, string> { ["pool"] = pool }, new JsonArray(new JsonObject { ["key"] = "dedicated", ["value"] = "db", ["effect"] = "NoSchedule" })).ToJsonString(),
                WriteOptions.Default);

            var ds = JsonNode.Parse(await w.CreateAsync(Ds, DaemonSet("agent", pool)))!.AsObject();
            var uid = (string)ds["metadata"]!["uid"]!;
            var byNode = await Poll.UntilAsync(() => PodsByNodeAsync(w, uid), p => p.Count == 2, Deadline, "a pod on each of the 2 matching nodes");
            Assert.Equal(new[] { nodes[0], nodes[1] }.Order(), byNode.Keys.Order());
            Assert.All(byNode.Values, pods => Assert.Single(pods));
            var pod = byNode[nodes[0]][0];
            Assert.Equal("DaemonSet", (string?)ControllerRef(pod)!["kind"]);
            Assert.Contains((pod["spec"]!["tolerations"] as JsonArray)!.OfType<JsonObject>(), t => (string?)t["key"] == "node.kubernetes.io/unschedulable");

            var status = await Poll.UntilAsync(
                async () => (await w.GetAsync(Ds, "agent"))!["status"]!,
                s => s is not null && Int(s["desiredNumberScheduled"]) == 2 && Int(s["currentNumberScheduled"]) == 2,
                Deadline,
                "status 2/2");
            Assert.Equal(0, Int(status["numberMisscheduled"]));
            Assert.Equal(2, Int(status["updatedNumberScheduled"]));
            Assert.Equal(1, Int(status["observedGeneration"]));

            // A node that joins later gets its pod.
            await Node(nodes[4]).Create(NodeObject(nodes[4], new Dictionary<string, string> { ["pool"] = pool }).ToJsonString(), WriteOptions.Default);
            byNode = await Poll.UntilAsync(() => PodsByNodeAsync(w, uid), p => p.Count == 3 && p.ContainsKey(nodes[4]), Deadline, "a pod on the late node");

            // Ready pods show in status.
            await w.KubeletUntilAsync(async () => Int((await w.GetAsync(Ds, "agent"))!["status"]?["numberReady"]) == 3, what: "3 ready");

            // A node that stops matching loses its pod; a node that goes away loses its pod.
            await Node(nodes[1]).Patch(
                new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["pool"] = "moved" } } }.ToJsonString(),
                new WriteOptions { PatchType = "application/merge-patch+json" });
            await Node(nodes[4]).Delete(DeleteOptions.Default);
            byNode = await Poll.UntilAsync(() => PodsByNodeAsync(w, uid), p => p.Count == 1 && p.ContainsKey(nodes[0]), Deadline, "only the first node's pod left");
            await Poll.UntilAsync(
                async () => (await w.GetAsync(Ds, "agent"))!["status"]!,
                s => Int(s["desiredNumberScheduled"]) == 1 && Int(s["currentNumberScheduled"]) == 1 && Int(s["numberMisscheduled"]) == 0,
                Deadline,
                "status 1/1");
        }
        finally
        {
            foreach (var node in nodes)
            {
                try
                {
                    await Node(node).Delete(DeleteOptions.Default);
                }
                catch (Grainetes.Machinery.Errors.ApiException)
                {
                    // Already gone.
                }
            }
        }
    }

    [Fact]
    public async Task ATemplateChangeReplacesThePodsOneNodeAtATime()
    {
        var w = new Workloads(fixture.Grains);
        var pool = w.Ns;
        var nodes = new[] { w.Ns + "-a", w.Ns + "-b", w.Ns + "-c" };
        try
        {
            foreach (var node in nodes)
            {
                await Node(node).Create(NodeObject(node, new Dictionary<string, string> { ["pool"] = pool }).ToJsonString(), WriteOptions.Default);
            }

            var uid = (string)JsonNode.Parse(await w.CreateAsync(Ds, DaemonSet("agent", pool)))!["metadata"]!["uid"]!;
            await w.KubeletUntilAsync(async () => Int((await w.GetAsync(Ds, "agent"))!["status"]?["numberAvailable"]) == 3, what: "3 available");

            await w.MergePatchAsync(Ds, "agent", new JsonObject
            {
                ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "agent", ["image"] = "busybox:2" }) } } },
            });

            var maxMissing = 0;
            await w.KubeletUntilAsync(
                async () =>
                {
                    var s = (await w.GetAsync(Ds, "agent"))!["status"]!;
                    return Int(s["observedGeneration"]) == 2 && Int(s["updatedNumberScheduled"]) == 3 && Int(s["numberAvailable"]) == 3;
                },
                pods =>
                {
                    var ready = pods.Where(p => (string?)ControllerRef(p)?["uid"] == uid && !IsDeleting(p) && IsReady(p)).Select(PinnedNode).Distinct().Count();
                    maxMissing = Math.Max(maxMissing, 3 - ready);
                },
                "the rollout");
            var byNode = await PodsByNodeAsync(w, uid);
            Assert.Equal(3, byNode.Count);
            Assert.All(byNode.Values, pods => Assert.Equal("busybox:2", (string?)Assert.Single(pods)["spec"]!["containers"]![0]!["image"]));

            // maxUnavailable 1: never more than one node without a ready daemon pod (a sample may miss a beat, never exceed).
            Assert.True(maxMissing <= 1, $"{maxMissing} nodes lacked a ready pod at once");
        }
        finally
        {
            foreach (var node in nodes)
            {
                try
                {
                    await Node(node).Delete(DeleteOptions.Default);
                }
                catch (Grainetes.Machinery.Errors.ApiException)
                {
                    // Already gone.
                }
            }
        }
    }

    private static async Task<List<JsonObject>> RevisionsAsync(Workloads w, string uid) =>
        (await w.ListAsync("controllerrevisions.apps")).Where(r => (string?)ControllerRef(r)?["uid"] == uid).ToList();

    private static long Revision(JsonObject revision) => Int(revision["revision"]);

    private static string? Hash(JsonObject obj) => (string?)obj["metadata"]?["labels"]?["controller-revision-hash"];

    private static JsonObject ImagePatch(string image) => new()
    {
        ["spec"] = new JsonObject { ["template"] = new JsonObject { ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "agent", ["image"] = image }) } } },
    };

    /// <summary>What <c>kubectl rollout status ds</c> waits for, plus every live pod on <paramref name="hash"/>.</summary>
    private static async Task<bool> RolledOutAsync(Workloads w, string uid, string hash)
    {
        var ds = (await w.GetAsync(Ds, "agent"))!;
        var s = ds["status"];
        var desired = Int(s?["desiredNumberScheduled"]);
        var pods = (await PodsByNodeAsync(w, uid)).Values.SelectMany(p => p).ToList();
        return Int(s?["observedGeneration"]) >= Int(ds["metadata"]!["generation"])
            && desired > 0 && Int(s?["updatedNumberScheduled"]) == desired && Int(s?["numberAvailable"]) == desired
            && pods.Count == desired && pods.All(p => Hash(p) == hash);
    }

    [Fact]
    public async Task KeepsTheTemplateHistoryInControllerRevisionsAndUndoReusesTheOldOne()
    {
        var w = new Workloads(fixture.Grains);
        var pool = w.Ns;
        var nodes = new[] { w.Ns + "-a", w.Ns + "-b" };
        try
        {
            foreach (var node in nodes)
            {
                await Node(node).Create(NodeObject(node, new Dictionary<string, string> { ["pool"] = pool }).ToJsonString(), WriteOptions.Default);
            }

            var uid = (string)JsonNode.Parse(await w.CreateAsync(Ds, DaemonSet("agent", pool)))!["metadata"]!["uid"]!;

            // Revision 1: named <ds>-<hash>, labelled with the hash the pods carry, owned by the DaemonSet, holding the
            // strategic merge patch that restores the template.
            var first = Assert.Single(await Poll.UntilAsync(() => RevisionsAsync(w, uid), r => r.Count == 1, Deadline, "revision 1"));
            var hash1 = Hash(first)!;
            Assert.Equal("agent-" + hash1, Name(first));
            Assert.Equal(1, Revision(first));
            Assert.Equal("DaemonSet", (string?)ControllerRef(first)!["kind"]);
            Assert.Equal("agent", (string?)first["metadata"]!["labels"]!["app"]);
            var data = first["data"]!["spec"]!["template"]!;
            Assert.Equal("replace", (string?)data["$patch"]);
            Assert.Equal("busybox:1", (string?)data["spec"]!["containers"]![0]!["image"]);
            await w.KubeletUntilAsync(() => RolledOutAsync(w, uid, hash1), what: "revision 1 rolled out");

            // A template change is revision 2, and the pods move onto its hash.
            await w.MergePatchAsync(Ds, "agent", ImagePatch("busybox:2"));
            var revisions = await Poll.UntilAsync(() => RevisionsAsync(w, uid), r => r.Count == 2, Deadline, "revision 2");
            var second = revisions.Single(r => Name(r) != Name(first));
            var hash2 = Hash(second)!;
            Assert.Equal(2, Revision(second));
            Assert.Equal("agent-" + hash2, Name(second));
            await w.KubeletUntilAsync(() => RolledOutAsync(w, uid, hash2), what: "revision 2 rolled out");

            // kubectl rollout undo: revision 1's data, sent unchanged as a strategic merge patch. The old revision is
            // reused (renumbered 3), no third object appears, and the pods go back to its hash.
            await w.Object(Ds, "agent").Patch(first["data"]!.ToJsonString(), new WriteOptions { PatchType = "application/strategic-merge-patch+json" });
            Assert.Equal("busybox:1", (string?)(await w.GetAsync(Ds, "agent"))!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]);
            revisions = await Poll.UntilAsync(
                () => RevisionsAsync(w, uid), r => r.Any(x => Name(x) == Name(first) && Revision(x) == 3), Deadline, "revision 1 renumbered 3");
            Assert.Equal(2, revisions.Count);
            Assert.Equal(2, Revision(revisions.Single(r => Name(r) == Name(second))));
            await w.KubeletUntilAsync(() => RolledOutAsync(w, uid, hash1), what: "the undo rolled out");

            // Pruning: with revisionHistoryLimit 1, the next template leaves one old revision, the oldest one going first.
            await w.MergePatchAsync(Ds, "agent", new JsonObject
            {
                ["spec"] = new JsonObject
                {
                    ["revisionHistoryLimit"] = 1,
                    ["template"] = ImagePatch("busybox:3")["spec"]!["template"]!.DeepClone(),
                },
            });
            var latest = await Poll.UntilAsync(
                async () => (await RevisionsAsync(w, uid)).FirstOrDefault(r => Revision(r) == 4), r => r is not null, Deadline, "revision 4");
            await w.KubeletUntilAsync(() => RolledOutAsync(w, uid, Hash(latest!)!), what: "revision 4 rolled out");
            revisions = await Poll.UntilAsync(() => RevisionsAsync(w, uid), r => r.Count == 2, Deadline, "history pruned to one old revision");
            Assert.Equal(new long[] { 3, 4 }, revisions.Select(Revision).Order());
            Assert.DoesNotContain(revisions, r => Name(r) == Name(second));
            Assert.Equal(2, Int((await w.GetAsync(Ds, "agent"))!["status"]!["updatedNumberScheduled"]));

            // The revisions belong to the DaemonSet: deleting it takes them along.
            await w.Object(Ds, "agent").Delete(DeleteOptions.Default);
            await Poll.UntilAsync(() => w.ListAsync("controllerrevisions.apps"), r => r.Count == 0, Deadline, "the revisions collected");
        }
        finally
        {
            foreach (var node in nodes)
            {
                try
                {
                    await Node(node).Delete(DeleteOptions.Default);
                }
                catch (Grainetes.Machinery.Errors.ApiException)
                {
                    // Already gone.
                }
            }
        }
    }
}
