using System.Text.Json.Nodes;
using Grainetes.Machinery.Scheduling;
using static Grainetes.Machinery.Tests.Scheduling.SchedulingTestObjects;

namespace Grainetes.Machinery.Tests.Scheduling;

public sealed class SchedulingCacheTests
{
    [Fact]
    public void AnAssumedPodCountsAtOnceAndForgettingItGivesTheRoomBack()
    {
        var cache = new SchedulingCache();
        cache.SetNode(Node("n", cpu: "1"));
        cache.Assume(Pod("p", cpu: "600m"), "n");
        Assert.Equal(600, cache.Node("n")!.RequestedMilliCpu);
        Assert.True(cache.IsAssumed("default/p"));
        Assert.True(cache.Forget("default/p"));
        Assert.Equal(0, cache.Node("n")!.RequestedMilliCpu);
    }

    [Fact]
    public void TheWatchConfirmsAnAssumptionWhichForgettingThenLeavesAlone()
    {
        var cache = new SchedulingCache();
        cache.SetNode(Node("n"));
        cache.Assume(Pod("p"), "n");
        cache.Observe(Pod("p", spec: s => s["nodeName"] = "n"));
        Assert.False(cache.IsAssumed("default/p"));
        Assert.False(cache.Forget("default/p"));
        Assert.Equal(1, cache.Node("n")!.PodCount);
    }

    [Fact]
    public void PodsBoundToAnUnknownNodeCountWhenItAppearsAndANodeUpdateKeepsTheAccounting()
    {
        var cache = new SchedulingCache();
        cache.Observe(Pod("p", cpu: "300m", spec: s => s["nodeName"] = "late"));
        Assert.True(cache.SetNode(Node("late")));
        Assert.Equal(300, cache.Node("late")!.RequestedMilliCpu);

        Assert.False(cache.SetNode(Node("late")), "an unchanged node is no news");
        Assert.True(cache.SetNode(Node("late", labels: new JsonObject { ["x"] = "y" })));
        Assert.Equal(300, cache.Node("late")!.RequestedMilliCpu);
    }

    [Fact]
    public void DeletedAndFinishedPodsFreeTheirNode()
    {
        var cache = new SchedulingCache();
        cache.SetNode(Node("n"));
        cache.Observe(Pod("a", spec: s => s["nodeName"] = "n"));
        cache.Observe(Pod("b", spec: s => s["nodeName"] = "n"));
        Assert.True(cache.Remove("default/a"));
        var finished = PodInfo.Parse(JsonNode.Parse("""{"metadata":{"name":"b","namespace":"default"},"spec":{"nodeName":"n"},"status":{"phase":"Succeeded"}}""")!.AsObject());
        Assert.True(cache.Observe(finished));
        Assert.Equal(0, cache.Node("n")!.PodCount);
        Assert.Equal(0, cache.PodCount);
    }

    [Fact]
    public void RemovingANodeKeepsTheOthersReachable()
    {
        var cache = new SchedulingCache();
        foreach (var name in new[] { "a", "b", "c" })
        {
            cache.SetNode(Node(name));
        }

        Assert.True(cache.RemoveNode("a"));
        Assert.False(cache.RemoveNode("a"));
        Assert.Equal(["b", "c"], cache.Nodes.Select(n => n.Name).Order());
        Assert.NotNull(cache.Node("c"));
        Assert.Null(cache.Node("a"));
    }
}
