using System.Text.Json.Nodes;
using Grainetes.Machinery.Scheduling;
using static Grainetes.Machinery.Tests.Scheduling.SchedulingTestObjects;

namespace Grainetes.Machinery.Tests.Scheduling;

public sealed class TopologyRulesTests
{
    private const string Hostname = "kubernetes.io/hostname";
    private const string Zone = "topology.kubernetes.io/zone";

    [Fact]
    public void HostnameSpreadWithMaxSkewOnePlacesSixReplicasTwoPerNode()
    {
        // "a" is far larger, so resources alone stack the pods there; distinct owners keep the default spreading
        // score out of it, so only the constraint can spread them.
        int[] Place(Action<JsonObject>? constraint)
        {
            var nodes = new[] { Node("a", cpu: "64", memory: "256Gi", labels: new JsonObject { [Hostname] = "a" }), HostNode("b"), HostNode("c") };
            var algorithm = new SchedulingAlgorithm();
            for (var i = 0; i < 6; i++)
            {
                var pod = Web("web-" + i, constraint, cpu: "1", owner: "rs-" + i);
                algorithm.Schedule(pod, nodes).Node!.AddPod(pod);
            }

            return nodes.Select(n => n.PodCount).ToArray();
        }

        Assert.Equal([6, 0, 0], Place(null));
        Assert.Equal([2, 2, 2], Place(Spread(Hostname, 1, "DoNotSchedule")));
    }

    [Fact]
    public void DoNotScheduleFiltersTheNodeThatWouldExceedMaxSkew()
    {
        var a = HostNode("a");
        var b = HostNode("b");
        a.AddPod(Web("w1"));
        a.AddPod(Web("w2"));
        b.AddPod(Web("w3"));

        // Counts a=2, b=1: a would reach skew 3-1=2 > 1, b reaches 2-1=1.
        var result = new SchedulingAlgorithm().Schedule(Web("p", Spread(Hostname, 1, "DoNotSchedule")), [a, b]);
        Assert.Equal("b", result.Node!.Name);

        // With b unschedulable as well, nothing fits and the reason is Kubernetes'.
        var full = new SchedulingAlgorithm().Schedule(Web("p", Spread(Hostname, 1, "DoNotSchedule")), [a, HostNode("b", unschedulable: true)]);
        Assert.Null(full.Node);
        Assert.Equal(1, full.Reasons[FilterReasons.PodTopologySpread]);
        Assert.Contains("node(s) didn't match pod topology spread constraints", full.Message);
    }

    [Fact]
    public void MaxSkewTwoAllowsOneMoreOnTheFullerDomain()
    {
        var a = HostNode("a");
        var b = HostNode("b");
        a.AddPod(Web("w1"));
        var state = TopologyState.For(Web("p", Spread(Hostname, 2, "DoNotSchedule")), [a, b])!;
        Assert.Null(state.Filter(a));
        a.AddPod(Web("w2"));
        state = TopologyState.For(Web("p", Spread(Hostname, 2, "DoNotSchedule")), [a, b])!;
        Assert.Equal(FilterReasons.PodTopologySpread, state.Filter(a));
        Assert.Null(state.Filter(b));
    }

    [Fact]
    public void OnlyPodsMatchingTheSelectorInThePodsNamespaceCount()
    {
        var a = HostNode("a");
        var b = HostNode("b");
        a.AddPod(Pod("other-app", labels: new JsonObject { ["app"] = "db" }));
        a.AddPod(Pod("other-ns", labels: new JsonObject { ["app"] = "web" }, ns: "elsewhere"));
        var state = TopologyState.For(Web("p", Spread(Hostname, 1, "DoNotSchedule")), [a, b])!;
        Assert.Null(state.Filter(a));
        Assert.Null(state.Filter(b));
    }

    [Fact]
    public void ZoneSpreadCountsPerZoneAndExcludesNodesWithoutTheKey()
    {
        var a1 = ZoneNode("a1", "z1");
        var a2 = ZoneNode("a2", "z1");
        var b1 = ZoneNode("b1", "z2");
        var bare = HostNode("bare");
        a1.AddPod(Web("w1"));
        b1.AddPod(Web("w2"));
        a2.AddPod(Web("w3"));

        // z1=2, z2=1: every z1 node is out, z2 is fine, the node without a zone label is out for its own reason.
        var state = TopologyState.For(Web("p", Spread(Zone, 1, "DoNotSchedule")), [a1, a2, b1, bare])!;
        Assert.Equal(FilterReasons.PodTopologySpread, state.Filter(a1));
        Assert.Equal(FilterReasons.PodTopologySpread, state.Filter(a2));
        Assert.Null(state.Filter(b1));
        Assert.Equal(FilterReasons.PodTopologySpreadMissingLabel, state.Filter(bare));
    }

    [Fact]
    public void MinDomainsTreatsTheGlobalMinimumAsZeroWhileDomainsAreTooFew()
    {
        var a = HostNode("a");
        var b = HostNode("b");
        a.AddPod(Web("w1"));
        b.AddPod(Web("w2"));
        var without = TopologyState.For(Web("p", Spread(Hostname, 1, "DoNotSchedule")), [a, b])!;
        Assert.Null(without.Filter(a));
        var with = TopologyState.For(Web("p", Spread(Hostname, 1, "DoNotSchedule", minDomains: 3)), [a, b])!;
        Assert.Equal(FilterReasons.PodTopologySpread, with.Filter(a));
    }

    [Fact]
    public void AnUnreachableNodeStaysAnEmptyDomainUnlessTaintsAreHonored()
    {
        var a = HostNode("a");
        var gone = Node("gone", labels: new JsonObject { [Hostname] = "gone" }, taints: Taints("node.kubernetes.io/unreachable", "", "NoSchedule"));
        a.AddPod(Web("w1"));
        var ignored = TopologyState.For(Web("p", Spread(Hostname, 1, "DoNotSchedule")), [a, gone])!;
        Assert.Equal(FilterReasons.PodTopologySpread, ignored.Filter(a));
        var honored = TopologyState.For(Web("p", Spread(Hostname, 1, "DoNotSchedule", honorTaints: true)), [a, gone])!;
        Assert.Null(honored.Filter(a));
    }

    [Fact]
    public void ScheduleAnywayScoresButNeverFilters()
    {
        var a = HostNode("a");
        var b = HostNode("b");
        a.AddPod(Web("w1"));
        a.AddPod(Web("w2"));
        a.AddPod(Web("w3"));
        var pod = Web("p", Spread(Hostname, 1, "ScheduleAnyway"));
        var state = TopologyState.For(pod, [a, b])!;
        Assert.Null(state.Filter(a));
        Assert.Equal(3, state.SoftSpreadCount(a));
        Assert.Equal(0, state.SoftSpreadCount(b));
        Assert.Equal("b", new SchedulingAlgorithm().Schedule(pod, [a, b]).Node!.Name);

        // Alone, the constrained node still takes the pod.
        Assert.Equal("a", new SchedulingAlgorithm().Schedule(pod, [a]).Node!.Name);
    }

    [Fact]
    public void RequiredAntiAffinityOnHostnameKeepsReplicasApartAndSaysWhy()
    {
        var nodes = new[] { HostNode("a"), HostNode("b") };
        var algorithm = new SchedulingAlgorithm();
        for (var i = 0; i < 2; i++)
        {
            var pod = Web("web-" + i, AntiAffinity(Hostname));
            algorithm.Schedule(pod, nodes).Node!.AddPod(pod);
        }

        Assert.All(nodes, n => Assert.Equal(1, n.PodCount));
        var third = algorithm.Schedule(Web("web-2", AntiAffinity(Hostname)), nodes);
        Assert.Null(third.Node);
        Assert.Equal("0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.", third.Message);
    }

    [Fact]
    public void ExistingPodsAntiAffinityRepelsTheirTargets()
    {
        var a = HostNode("a");
        var b = HostNode("b");
        a.AddPod(Pod("loner", labels: new JsonObject { ["app"] = "loner" }, spec: AntiAffinity(Hostname, app: "web")));
        var state = TopologyState.For(Web("p"), [a, b])!;
        Assert.Equal(FilterReasons.ExistingPodsAntiAffinity, state.Filter(a));
        Assert.Null(state.Filter(b));

        // A pod the term does not name is not affected, and with no such pods no state is built at all.
        Assert.Null(TopologyState.For(Pod("x", labels: new JsonObject { ["app"] = "db" }), [a, b])!.Filter(a));
        Assert.Null(TopologyState.For(Web("p"), [HostNode("c")]));
    }

    [Fact]
    public void AntiAffinityOnZoneExcludesTheWholeZone()
    {
        var a1 = ZoneNode("a1", "z1");
        var a2 = ZoneNode("a2", "z1");
        var b1 = ZoneNode("b1", "z2");
        a1.AddPod(Web("w1"));
        var state = TopologyState.For(Web("p", AntiAffinity(Zone)), [a1, a2, b1])!;
        Assert.Equal(FilterReasons.PodAntiAffinity, state.Filter(a2));
        Assert.Null(state.Filter(b1));
    }

    [Fact]
    public void RequiredAffinityNeedsAMatchingPodInTheDomainExceptForTheFirstOfAGroup()
    {
        var a = HostNode("a");
        var b = HostNode("b");
        var first = TopologyState.For(Web("p", Affinity(Hostname, "web")), [a, b])!;
        Assert.Null(first.Filter(a));
        a.AddPod(Web("w1"));
        var next = TopologyState.For(Web("p", Affinity(Hostname, "web")), [a, b])!;
        Assert.Null(next.Filter(a));
        Assert.Equal(FilterReasons.PodAffinity, next.Filter(b));
        var cache = TopologyState.For(Pod("cache", labels: new JsonObject { ["app"] = "cache" }, spec: Affinity(Hostname, "db")), [a, b])!;
        Assert.Equal(FilterReasons.PodAffinity, cache.Filter(a));
    }

    [Fact]
    public void PreferredAntiAffinityScoresAwayFromMatchingPods()
    {
        var a = HostNode("a");
        var b = HostNode("b");
        b.AddPod(Pod("big", cpu: "1", memory: "1Gi"));
        a.AddPod(Web("w1", cpu: "10m", owner: "rs-1"));
        var pod = Web(
            "p",
            spec => spec["affinity"] = new JsonObject
            {
                ["podAntiAffinity"] = new JsonObject
                {
                    ["preferredDuringSchedulingIgnoredDuringExecution"] = new JsonArray(new JsonObject
                    {
                        ["weight"] = 100,
                        ["podAffinityTerm"] = Term(Hostname, "web"),
                    }),
                },
            },
            owner: "rs-2");
        var state = TopologyState.For(pod, [a, b])!;
        Assert.Equal(-100, state.PreferredAffinityScore(a));
        Assert.Equal(0, state.PreferredAffinityScore(b));
        Assert.Equal("b", new SchedulingAlgorithm().Schedule(pod, [a, b]).Node!.Name);
    }

    [Fact]
    public void AssumedAndForgottenPodsMoveTheCountsThroughTheCache()
    {
        var cache = new SchedulingCache();
        cache.SetNode(HostNode("a"));
        cache.SetNode(HostNode("b"));
        var pod = Web("p", Spread(Hostname, 2, "DoNotSchedule"));
        cache.Assume(Web("w1"), "a");
        Assert.Null(TopologyState.For(pod, cache.Nodes)!.Filter(cache.Node("a")!));
        cache.Assume(Web("w2"), "a");
        Assert.Equal(FilterReasons.PodTopologySpread, TopologyState.For(pod, cache.Nodes)!.Filter(cache.Node("a")!));
        Assert.True(cache.Forget("default/w2"));
        Assert.Null(TopologyState.For(pod, cache.Nodes)!.Filter(cache.Node("a")!));

        // A bound pod seen through the watch counts too, and a deleted one stops counting.
        cache.Observe(Pod("w3", labels: new JsonObject { ["app"] = "web" }, spec: s => s["nodeName"] = "a"));
        Assert.Equal(FilterReasons.PodTopologySpread, TopologyState.For(pod, cache.Nodes)!.Filter(cache.Node("a")!));
        Assert.True(cache.Remove("default/w3"));
        Assert.Null(TopologyState.For(pod, cache.Nodes)!.Filter(cache.Node("a")!));
    }

    [Fact]
    public void ParsesConstraintsAndAffinityFromThePodSpec()
    {
        var pod = Web("p", spec =>
        {
            Spread(Zone, 2, "ScheduleAnyway", minDomains: 3)(spec);
            AntiAffinity(Hostname)(spec);
        });
        var constraint = Assert.Single(pod.TopologySpreadConstraints);
        Assert.Equal((2, Zone, false, 3), (constraint.MaxSkew, constraint.TopologyKey, constraint.DoNotSchedule, constraint.MinDomains));
        var term = Assert.Single(pod.RequiredPodAntiAffinity);
        Assert.Equal(Hostname, term.TopologyKey);
        Assert.Equal(["default"], term.Namespaces);
        Assert.True(pod.HasTopologyRules);
        Assert.False(Web("q").HasTopologyRules);
    }

    private static NodeInfo HostNode(string name, bool unschedulable = false) =>
        Node(name, labels: new JsonObject { [Hostname] = name }, unschedulable: unschedulable);

    private static NodeInfo ZoneNode(string name, string zone) =>
        Node(name, labels: new JsonObject { [Hostname] = name, [Zone] = zone });

    private static PodInfo Web(string name, Action<JsonObject>? spec = null, string cpu = "100m", string? owner = null) =>
        Pod(name, cpu: cpu, labels: new JsonObject { ["app"] = "web" }, ownerUid: owner, spec: spec);

    private static Action<JsonObject> Spread(string key, int maxSkew, string when, int? minDomains = null, bool honorTaints = false) => spec =>
    {
        var constraint = new JsonObject
        {
            ["maxSkew"] = maxSkew,
            ["topologyKey"] = key,
            ["whenUnsatisfiable"] = when,
            ["labelSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } },
        };
        if (minDomains is { } m)
        {
            constraint["minDomains"] = m;
        }

        if (honorTaints)
        {
            constraint["nodeTaintsPolicy"] = "Honor";
        }

        spec["topologySpreadConstraints"] = new JsonArray(constraint);
    };

    private static JsonObject Term(string key, string app) => new()
    {
        ["topologyKey"] = key,
        ["labelSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = app } },
    };

    private static Action<JsonObject> AntiAffinity(string key, string app = "web") => spec =>
        spec["affinity"] = new JsonObject
        {
            ["podAntiAffinity"] = new JsonObject { ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonArray(Term(key, app)) },
        };

    private static Action<JsonObject> Affinity(string key, string app) => spec =>
        spec["affinity"] = new JsonObject
        {
            ["podAffinity"] = new JsonObject { ["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonArray(Term(key, app)) },
        };
}
