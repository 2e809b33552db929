using System.Text.Json.Nodes;
using Grainetes.Machinery.Scheduling;
using static Grainetes.Machinery.Tests.Scheduling.SchedulingTestObjects;

namespace Grainetes.Machinery.Tests.Scheduling;

public sealed class SchedulingAlgorithmTests
{
    [Fact]
    public void LeastAllocatedPrefersTheEmptierNode()
    {
        var busy = Node("busy");
        busy.AddPod(Pod("x", cpu: "2", memory: "4Gi"));
        var idle = Node("idle");
        Assert.True(SchedulingScores.LeastAllocated(Pod("p"), idle) > SchedulingScores.LeastAllocated(Pod("p"), busy));
        Assert.Equal("idle", new SchedulingAlgorithm().Schedule(Pod("p"), [busy, idle]).Node!.Name);
    }

    [Fact]
    public void LeastAllocatedIsTheMeanFreeShareAfterPlacingThePod()
    {
        var node = Node("n", cpu: "1", memory: "1Gi");
        Assert.Equal(((1000 - 500) * 100 / 1000 + (1024 - 256) * 100 / 1024) / 2, SchedulingScores.LeastAllocated(Pod("p", cpu: "500m", memory: "256Mi"), node));
        Assert.Equal(0, SchedulingScores.LeastAllocated(Pod("p", cpu: "2", memory: "2Gi"), node));
    }

    [Theory]
    [InlineData(0, 0, 100)]
    [InlineData(0, 4, 100)]
    [InlineData(2, 4, 50)]
    [InlineData(4, 4, 0)]
    public void SpreadScoresFewerPodsOfTheGroupHigher(int count, int max, int expected) =>
        Assert.Equal(expected, SchedulingScores.Spread(count, max));

    [Fact]
    public void PodsOfOneOwnerSpreadEvenlyEvenWhenResourcesWouldNotSayWhere()
    {
        var nodes = new[] { Node("a"), Node("b"), Node("c") };
        var algorithm = new SchedulingAlgorithm();
        for (var i = 0; i < 30; i++)
        {
            var pod = Pod("web-" + i, cpu: null, memory: null, ownerUid: "rs-1");
            var chosen = algorithm.Schedule(pod, nodes).Node!;
            chosen.AddPod(pod);
        }

        Assert.All(nodes, n => Assert.Equal(10, n.SpreadCount("rs-1")));
    }

    [Fact]
    public void SpreadingOutweighsASmallResourceDifference()
    {
        var a = Node("a");
        var b = Node("b");
        a.AddPod(Pod("other", cpu: "200m", memory: "128Mi"));
        b.AddPod(Pod("sibling", cpu: "100m", memory: "64Mi", ownerUid: "rs-1"));
        Assert.Equal("a", new SchedulingAlgorithm().Schedule(Pod("p", ownerUid: "rs-1"), [a, b]).Node!.Name);
    }

    [Fact]
    public void TiesAreBrokenDeterministicallyButDifferentlyForDifferentPods()
    {
        var nodes = Enumerable.Range(0, 20).Select(i => Node("n" + i)).ToArray();
        var algorithm = new SchedulingAlgorithm();
        var first = algorithm.Schedule(Pod("p"), nodes).Node!.Name;
        Assert.Equal(first, algorithm.Schedule(Pod("p"), nodes.Reverse().ToArray()).Node!.Name);
        var choices = Enumerable.Range(0, 50).Select(i => algorithm.Schedule(Pod("p" + i), nodes).Node!.Name).Distinct().Count();
        Assert.True(choices > 5, $"only {choices} distinct nodes chosen for 50 tied pods");
    }

    [Fact]
    public void FailureMessageGroupsCountsAndSortsAsKubernetesDoes()
    {
        var nodes = new[]
        {
            Node("a", cpu: "1"),
            Node("b", cpu: "1"),
            Node("c", ready: "Unknown"),
        };
        var result = new SchedulingAlgorithm().Schedule(Pod("p", cpu: "2"), nodes);
        Assert.False(result.Scheduled);
        Assert.Equal(0, result.FeasibleNodes);

        // Go's sort.Strings over the "count reason" entries: "1 node(s)..." sorts before "2 Insufficient cpu".
        Assert.Equal("0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient cpu.", result.Message);
        Assert.Equal(2, result.Reasons[FilterReasons.InsufficientCpu]);
    }

    [Fact]
    public void FailureMessageCountsEveryShortfallOfANode()
    {
        var nodes = new[] { Node("a", cpu: "1", memory: "1Gi"), Node("b", cpu: "1", memory: "8Gi"), Node("c", unschedulable: true) };
        var result = new SchedulingAlgorithm().Schedule(Pod("p", cpu: "2", memory: "2Gi"), nodes);
        Assert.Equal("0/3 nodes are available: 1 Insufficient memory, 1 node(s) were unschedulable, 2 Insufficient cpu.", result.Message);
    }

    [Fact]
    public void NoNodesAtAllIsSaidSo() =>
        Assert.Equal("no nodes available to schedule pods", new SchedulingAlgorithm().Schedule(Pod("p"), []).Message);

    [Fact]
    public void OnlyFeasibleNodesAreChosen()
    {
        var nodes = new[]
        {
            Node("tainted", taints: Taints("x", "y", Taint.NoSchedule)),
            Node("small", cpu: "100m"),
            Node("labelled", labels: new JsonObject { ["disk"] = "ssd" }),
            Node("fits", labels: new JsonObject { ["disk"] = "ssd" }),
        };
        nodes[2].AddPod(Pod("hog", cpu: "3900m"));
        var pod = Pod("p", cpu: "500m", spec: s => s["nodeSelector"] = new JsonObject { ["disk"] = "ssd" });
        var result = new SchedulingAlgorithm().Schedule(pod, nodes);
        Assert.Equal("fits", result.Node!.Name);
        Assert.Equal(1, result.FeasibleNodes);
    }
}
