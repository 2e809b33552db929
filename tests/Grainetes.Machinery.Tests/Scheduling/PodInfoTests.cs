using System.Text.Json.Nodes;
using Grainetes.Machinery.Scheduling;
using static Grainetes.Machinery.Tests.Scheduling.SchedulingTestObjects;

namespace Grainetes.Machinery.Tests.Scheduling;

public sealed class PodInfoTests
{
    [Fact]
    public void RequestsAreTheContainersSumRaisedToTheLargestInitContainer()
    {
        var pod = Pod("p", spec: s =>
        {
            s["containers"] = JsonNode.Parse("""
                [{"name":"a","resources":{"requests":{"cpu":"100m","memory":"100Mi"}}},
                 {"name":"b","resources":{"requests":{"cpu":"200m","memory":"50Mi"}}}]
                """);
            s["initContainers"] = JsonNode.Parse("""
                [{"name":"i1","resources":{"requests":{"cpu":"500m","memory":"10Mi"}}},
                 {"name":"i2","resources":{"requests":{"cpu":"100m","memory":"400Mi"}}}]
                """);
        });
        Assert.Equal(500, pod.MilliCpu);
        Assert.Equal(400L * 1024 * 1024, pod.Memory);
    }

    [Fact]
    public void SidecarInitContainersAddToTheContainersAndOverheadIsAdded()
    {
        var pod = Pod("p", cpu: "100m", memory: null, spec: s =>
        {
            s["initContainers"] = JsonNode.Parse("""[{"name":"side","restartPolicy":"Always","resources":{"requests":{"cpu":"50m"}}}]""");
            s["overhead"] = new JsonObject { ["cpu"] = "10m" };
        });
        Assert.Equal(160, pod.MilliCpu);
        Assert.Equal(0, pod.Memory);
        Assert.Equal(PodInfo.DefaultMemoryRequest * 2, pod.NonZeroMemory);
    }

    [Fact]
    public void ALimitWithoutARequestIsTheRequest()
    {
        var pod = Pod("p", cpu: null, memory: null, spec: s =>
            s["containers"]![0]!["resources"] = JsonNode.Parse("""{"limits":{"cpu":"2","memory":"1Gi"}}"""));
        Assert.Equal(2000, pod.MilliCpu);
        Assert.Equal(1024L * 1024 * 1024, pod.Memory);
    }

    [Fact]
    public void SpreadKeyIsTheOwnerOrElseTheNamespaceAndLabels()
    {
        Assert.Equal("rs-1", Pod("a", ownerUid: "rs-1", labels: new JsonObject { ["app"] = "x" }).SpreadKey);
        Assert.Equal(Pod("a", labels: new JsonObject { ["app"] = "x", ["t"] = "1" }).SpreadKey, Pod("b", labels: new JsonObject { ["t"] = "1", ["app"] = "x" }).SpreadKey);
        Assert.NotEqual(Pod("a", labels: new JsonObject { ["app"] = "x" }).SpreadKey, Pod("b", labels: new JsonObject { ["app"] = "x" }, ns: "other").SpreadKey);
        Assert.Null(Pod("a").SpreadKey);
    }

    [Fact]
    public void OnlyUnboundLivePodsOfTheDefaultSchedulerNeedScheduling()
    {
        Assert.True(Pod("a").NeedsScheduling);
        Assert.True(Pod("a", spec: s => s["schedulerName"] = "default-scheduler").NeedsScheduling);
        Assert.False(Pod("a", spec: s => s["schedulerName"] = "other").NeedsScheduling);
        Assert.False(Pod("a", spec: s => s["nodeName"] = "n1").NeedsScheduling);
        var deleting = JsonNode.Parse("""{"metadata":{"name":"d","namespace":"x","deletionTimestamp":"2024-01-01T00:00:00Z"},"spec":{}}""")!.AsObject();
        Assert.False(PodInfo.Parse(deleting).NeedsScheduling);
    }
}
