using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Scheduling;
using Orleans.Runtime;

namespace Grainetes.Tests.Scheduling;

/// <summary>
/// The scheduler grain against real storage. Nodes are cluster-wide and the tests share a cluster, so each test
/// labels its nodes and pins its pods to them with a node selector.
/// </summary>
public sealed class SchedulerGrainTests(SchedulerClusterFixture fixture) : IClassFixture<SchedulerClusterFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task BindsPodsAndSpreadsThemEvenlyFromOneActivation()
    {
        var test = NewTestId();
        await CreateNodesAsync(test, ("a", "4", null), ("b", "4", null), ("c", "4", null));
        await WakeAsync();
        var ns = "spread-" + test;
        await Task.WhenAll(Enumerable.Range(0, 9).Select(i => CreatePodAsync(ns, "web-" + i, test, "100m", labels: new() { ["app"] = "web" })));

        var pods = await WaitForPodsAsync(ns, ps => ps.Count == 9 && ps.All(p => NodeName(p) is not null));
        var perNode = pods.GroupBy(p => NodeName(p)!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, perNode.Count);
        Assert.All(perNode.Values, count => Assert.Equal(3, count));

        var scheduled = await WaitForPodsAsync(ns, ps => ps.All(p => Condition(p)?["status"]?.GetValue<string>() == "True"));
        Assert.All(scheduled, p => Assert.Equal("PodScheduled", (string?)Condition(p)!["type"]));
        var events = await WaitForEventsAsync(ns, es => es.Count(e => (string?)e["reason"] == "Scheduled") == 9);
        var web0 = events.Single(e => (string?)e["reason"] == "Scheduled" && (string?)e["involvedObject"]!["name"] == "web-0");
        Assert.Equal($"Successfully assigned {ns}/web-0 to {NodeName(pods.Single(p => Name(p) == "web-0"))}", (string?)web0["message"]);
        Assert.Equal("default-scheduler", (string?)web0["source"]!["component"]);

        // Woken from both silos' clients and calls, yet one activation decides for the whole cluster.
        var management = fixture.Grains.GetGrain<IManagementGrain>(0);
        var stats = await management.GetSimpleGrainStatistics();
        Assert.Equal(1, stats.Where(s => s.GrainType.Contains("SchedulerGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount));
    }

    [Fact]
    public async Task APodThatFitsNowhereWaitsAndIsScheduledWhenABigEnoughNodeAppears()
    {
        var test = NewTestId();
        await CreateNodesAsync(test, ("small-1", "2", null), ("small-2", "2", null));
        await WakeAsync();
        var ns = "big-" + test;
        var otherNodes = (await Collection("nodes").List(new ListRequest())).Items.Count - 2;
        await CreatePodAsync(ns, "huge", test, "16");

        var pending = await WaitForPodsAsync(ns, ps => Condition(ps.Single())?["status"]?.GetValue<string>() == "False");
        var condition = Condition(pending.Single())!;
        Assert.Null(NodeName(pending.Single()));
        Assert.Equal("Unschedulable", (string?)condition["reason"]);
        var expected = SchedulingAlgorithm.FailureMessage(otherNodes + 2, new Dictionary<string, int>
        {
            [FilterReasons.InsufficientCpu] = 2,
            [FilterReasons.NodeAffinity] = otherNodes,
        }.Where(r => r.Value > 0).ToDictionary());
        Assert.Equal(expected, (string?)condition["message"]);
        Assert.Matches(@"^0/\d+ nodes are available: (\d+ [^,]+, )*2 Insufficient cpu(, \d+ [^,]+)*\.$", expected);

        var events = await WaitForEventsAsync(ns, es => es.Any(e => (string?)e["reason"] == "FailedScheduling"));
        var failed = Assert.Single(events, e => (string?)e["reason"] == "FailedScheduling");
        Assert.Equal("Warning", (string?)failed["type"]);
        Assert.Equal(expected, (string?)failed["message"]);

        // No call to the scheduler: the node's arrival alone retries the waiting pod.
        await CreateNodesAsync(test, ("large", "32", null));
        var bound = await WaitForPodsAsync(ns, ps => NodeName(ps.Single()) is not null);
        Assert.Equal(test + "-large", NodeName(bound.Single()));
        await WaitForPodsAsync(ns, ps => Condition(ps.Single())?["status"]?.GetValue<string>() == "True");
    }

    [Fact]
    public async Task NodeSelectorsAffinityAndTaintsAreRespected()
    {
        var test = NewTestId();
        await CreateNodesAsync(
            test,
            ("ssd", "4", new JsonObject { ["disk"] = "ssd" }),
            ("plain", "4", null),
            ("gpu", "4", new JsonObject { ["accelerator"] = "gpu" }));
        var gpu = Node(test + "-gpu");
        await gpu.Patch("""{"spec":{"taints":[{"key":"dedicated","value":"gpu","effect":"NoSchedule"}]}}""", new WriteOptions { PatchType = "application/merge-patch+json" });
        await WakeAsync();
        var ns = "select-" + test;

        await CreatePodAsync(ns, "wants-ssd", test, "100m", nodeSelector: new() { ["disk"] = "ssd" });
        await CreatePodAsync(ns, "tolerates-gpu", test, "100m", extraSpec: new JsonObject
        {
            ["tolerations"] = new JsonArray(new JsonObject { ["key"] = "dedicated", ["operator"] = "Equal", ["value"] = "gpu", ["effect"] = "NoSchedule" }),
            ["affinity"] = JsonNode.Parse("""{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":["NODE"]}]}]}}}""".Replace("NODE", test + "-gpu", StringComparison.Ordinal)),
        });
        await CreatePodAsync(ns, "intolerant", test, "100m", nodeSelector: new() { ["accelerator"] = "gpu" });
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => CreatePodAsync(ns, "any-" + i, test, "100m")));

        var pods = await WaitForPodsAsync(ns, ps => ps.Count == 9
            && ps.Where(p => Name(p) != "intolerant").All(p => NodeName(p) is not null)
            && Condition(ps.Single(p => Name(p) == "intolerant"))?["status"]?.GetValue<string>() == "False");
        Assert.Equal(test + "-ssd", NodeName(pods.Single(p => Name(p) == "wants-ssd")));
        Assert.Equal(test + "-gpu", NodeName(pods.Single(p => Name(p) == "tolerates-gpu")));
        Assert.All(pods.Where(p => Name(p)!.StartsWith("any-", StringComparison.Ordinal)), p => Assert.NotEqual(test + "-gpu", NodeName(p)));
        var intolerant = pods.Single(p => Name(p) == "intolerant");
        Assert.Null(NodeName(intolerant));
        Assert.Contains("1 node(s) had untolerated taint {dedicated: gpu}", (string?)Condition(intolerant)!["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task FiftyConcurrentPodsNeverOverbookThreeNodesWithRoomForExactlyFifty()
    {
        var test = NewTestId();
        await CreateNodesAsync(test, ("one", "1", null), ("two", "1500m", null), ("three", "2500m", null));
        await WakeAsync();
        var ns = "pack-" + test;
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => CreatePodAsync(ns, "p" + i, test, "100m", labels: new() { ["app"] = "pack" })));

        var pods = await WaitForPodsAsync(ns, ps => ps.Count == 50 && ps.All(p => NodeName(p) is not null));
        var allocatable = new Dictionary<string, long> { [test + "-one"] = 1000, [test + "-two"] = 1500, [test + "-three"] = 2500 };
        foreach (var group in pods.GroupBy(p => NodeName(p)!))
        {
            Assert.True(group.Count() * 100 <= allocatable[group.Key], $"{group.Key} holds {group.Count()} pods of 100m");
        }

        // Full now: one more waits, for cpu.
        await CreatePodAsync(ns, "extra", test, "100m", labels: new() { ["app"] = "pack" });
        var after = await WaitForPodsAsync(ns, ps => ps.Count == 51 && Condition(ps.Single(p => Name(p) == "extra"))?["status"]?.GetValue<string>() == "False");
        var extra = after.Single(p => Name(p) == "extra");
        Assert.Null(NodeName(extra));
        Assert.Contains("3 Insufficient cpu", (string?)Condition(extra)!["message"], StringComparison.Ordinal);

        // A deleted pod frees room: the waiting one gets it, with no call to the scheduler.
        // No kubelet runs for these simulated nodes: delete as `kubectl delete --grace-period=0 --force` does.
        await Pod(ns, "p0").Delete(new DeleteOptions { GracePeriodSeconds = 0 });
        var rescheduled = await WaitForPodsAsync(ns, ps => NodeName(ps.Single(p => Name(p) == "extra")) is not null);
        Assert.Equal(50, rescheduled.Count);
    }

    [Fact]
    public async Task HostnameSpreadConstraintPlacesSixReplicasTwoPerNodeAndAntiAffinityLeavesTheFourthPending()
    {
        var test = NewTestId();

        // "a" is eight times larger, so resources alone would stack the pods there; each pod's own "i" label gives it
        // its own default spreading group, so only the constraint can even them out.
        await CreateNodesAsync(test, ("a", "32", null), ("b", "4", null), ("c", "4", null));
        await WakeAsync();
        var ns = "topology-" + test;
        var selector = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } };
        var spread = new JsonObject
        {
            ["topologySpreadConstraints"] = new JsonArray(new JsonObject
            {
                ["maxSkew"] = 1,
                ["topologyKey"] = "kubernetes.io/hostname",
                ["whenUnsatisfiable"] = "DoNotSchedule",
                ["labelSelector"] = selector.DeepClone(),
            }),
        };
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            CreatePodAsync(ns, "web-" + i, test, "1", labels: new() { ["app"] = "web", ["i"] = i.ToString(CultureInfo.InvariantCulture) }, extraSpec: spread)));
        var pods = await WaitForPodsAsync(ns, ps => ps.Count == 6 && ps.All(p => NodeName(p) is not null));
        var perNode = pods.GroupBy(p => NodeName(p)!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, perNode.Count);
        Assert.All(perNode.Values, count => Assert.Equal(2, count));

        var antiNs = "anti-" + test;
        var anti = new JsonObject
        {
            ["affinity"] = new JsonObject
            {
                ["podAntiAffinity"] = new JsonObject
                {
                    ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonArray(new JsonObject
                    {
                        ["topologyKey"] = "kubernetes.io/hostname",
                        ["labelSelector"] = selector.DeepClone(),
                    }),
                },
            },
        };
        await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            CreatePodAsync(antiNs, "solo-" + i, test, "100m", labels: new() { ["app"] = "web" }, extraSpec: anti)));
        var solos = await WaitForPodsAsync(antiNs, ps => ps.Count == 4 && ps.Count(p => NodeName(p) is not null) == 3
            && ps.Any(p => Condition(p)?["status"]?.GetValue<string>() == "False"));
        Assert.Equal(3, solos.Select(NodeName).OfType<string>().Distinct().Count());
        var pending = Condition(solos.Single(p => NodeName(p) is null))!;
        Assert.Contains("3 node(s) didn't match pod anti-affinity rules", (string?)pending["message"], StringComparison.Ordinal);
    }

    private static string NewTestId() => "t" + Guid.NewGuid().ToString("N")[..8];

    private Task WakeAsync() => fixture.Grains.GetGrain<ISchedulerGrain>(ISchedulerGrain.DefaultKey).Wake();

    private IObjectGrain Node(string name) => fixture.Grains.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", name).GrainKey);

    private IObjectGrain Pod(string ns, string name) => fixture.Grains.GetGrain<IObjectGrain>(new ObjectKey("pods", ns, name).GrainKey);

    private IResourceCollectionGrain Collection(string kind) => fixture.Grains.GetGrain<IResourceCollectionGrain>(kind);

    private async Task CreateNodesAsync(string test, params (string Name, string Cpu, JsonObject? Labels)[] nodes)
    {
        foreach (var (suffix, cpu, labels) in nodes)
        {
            var name = test + "-" + suffix;
            var allLabels = labels ?? new JsonObject();
            allLabels["test"] = test;
            allLabels["kubernetes.io/hostname"] = name;
            var resources = new JsonObject { ["cpu"] = cpu, ["memory"] = "8Gi", ["pods"] = "110" };
            var node = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Node",
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = allLabels },
                ["spec"] = new JsonObject(),
                ["status"] = new JsonObject
                {
                    ["capacity"] = resources.DeepClone(),
                    ["allocatable"] = resources,
                    ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["reason"] = "KubeletReady" }),
                },
            };
            await Node(name).Create(node.ToJsonString(), WriteOptions.Default);
        }
    }

    private Task<string> CreatePodAsync(
        string ns,
        string name,
        string test,
        string cpu,
        Dictionary<string, string>? labels = null,
        Dictionary<string, string>? nodeSelector = null,
        JsonObject? extraSpec = null)
    {
        var selector = new JsonObject { ["test"] = test };
        foreach (var (key, value) in nodeSelector ?? [])
        {
            selector[key] = value;
        }

        var spec = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "main",
                ["image"] = "nginx",
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = cpu, ["memory"] = "64Mi" } },
            }),
            ["nodeSelector"] = selector,
        };
        foreach (var (key, value) in extraSpec ?? [])
        {
            spec[key] = value?.DeepClone();
        }

        var metadata = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (labels is not null)
        {
            metadata["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        }

        var pod = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = metadata, ["spec"] = spec };
        return Pod(ns, name).Create(pod.ToJsonString(), WriteOptions.Default);
    }

    private Task<IReadOnlyList<JsonObject>> WaitForPodsAsync(string ns, Func<IReadOnlyList<JsonObject>, bool> done) => WaitForAsync("pods", ns, done);

    private Task<IReadOnlyList<JsonObject>> WaitForEventsAsync(string ns, Func<IReadOnlyList<JsonObject>, bool> done) => WaitForAsync("events", ns, done);

    /// <summary>Lists until <paramref name="done"/> holds, waiting on the kind's change log between lists: no sleeps.</summary>
    private async Task<IReadOnlyList<JsonObject>> WaitForAsync(string kind, string ns, Func<IReadOnlyList<JsonObject>, bool> done)
    {
        var collection = Collection(kind);
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var list = await collection.List(new ListRequest { Namespace = ns });
            var items = list.Items.Select(i => JsonNode.Parse(i)!.AsObject()).ToList();
            if (done(items))
            {
                return items;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail($"timed out waiting for {kind} in {ns}; last seen:\n{string.Join("\n", list.Items)}");
            }

            await collection.Poll(list.ResourceVersion, ns, left < TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5));
        }
    }

    private static string? Name(JsonObject obj) => (string?)obj["metadata"]?["name"];

    private static string? NodeName(JsonObject pod) => (string?)pod["spec"]?["nodeName"] is { Length: > 0 } n ? n : null;

    private static JsonObject? Condition(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "PodScheduled");
}
