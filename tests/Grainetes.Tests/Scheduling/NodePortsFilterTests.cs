using System.Text.Json.Nodes;
using Grainetes.Machinery.Scheduling;

namespace Grainetes.Tests.Scheduling;

public sealed class NodePortsFilterTests
{
    private static NodeInfo Node(string runtime) => NodeInfo.Parse(new JsonObject
    {
        ["metadata"] = new JsonObject { ["name"] = "n1" },
        ["status"] = new JsonObject
        {
            ["allocatable"] = new JsonObject { ["cpu"] = "4", ["memory"] = "8Gi", ["pods"] = "110" },
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" }),
            ["nodeInfo"] = new JsonObject { ["containerRuntimeVersion"] = runtime + "://1.0" },
        },
    });

    private static PodInfo Pod(string name, int containerPort, int? hostPort = null, string? hostIP = null)
    {
        var port = new JsonObject { ["containerPort"] = containerPort };
        if (hostPort is { } h)
        {
            port["hostPort"] = h;
        }

        if (hostIP is not null)
        {
            port["hostIP"] = hostIP;
        }

        return PodInfo.Parse(new JsonObject
        {
            ["metadata"] = new JsonObject { ["namespace"] = "default", ["name"] = name },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["ports"] = new JsonArray(port) }) },
        });
    }

    [Fact]
    public void ASecondPodAskingForTheSameHostPortDoesNotFit()
    {
        var node = Node("docker");
        node.AddPod(Pod("a", 80, hostPort: 8080));

        Assert.Equal(FilterReasons.NodePorts, SchedulingFilters.NodePorts(Pod("b", 80, hostPort: 8080), node));
        Assert.Null(SchedulingFilters.NodePorts(Pod("c", 80, hostPort: 8081), node));

        // Bridge networking: container ports without host ports are each pod's own.
        Assert.Null(SchedulingFilters.NodePorts(Pod("d", 80), node));
    }

    [Fact]
    public void DifferentHostAddressesDoNotConflictButTheWildcardDoes()
    {
        var node = Node("docker");
        node.AddPod(Pod("a", 80, hostPort: 8080, hostIP: "127.0.0.2"));

        Assert.Null(SchedulingFilters.NodePorts(Pod("b", 80, hostPort: 8080, hostIP: "127.0.0.3"), node));
        Assert.Equal(FilterReasons.NodePorts, SchedulingFilters.NodePorts(Pod("c", 80, hostPort: 8080), node));
    }

    [Fact]
    public void OnTheHostNetworkContainerPortsConflictAndFreeAgainWhenThePodGoes()
    {
        var node = Node("process");
        var first = Pod("a", 8080);
        node.AddPod(first);

        Assert.True(node.HostNetwork);
        Assert.Equal(FilterReasons.NodePorts, SchedulingFilters.NodePorts(Pod("b", 8080), node));

        node.RemovePod(first);
        Assert.Null(SchedulingFilters.NodePorts(Pod("b", 8080), node));
    }

    [Fact]
    public void TheFilterRunsWithTheOthers()
    {
        var node = Node("process");
        node.AddPod(Pod("a", 8080));
        var reasons = new List<string>();

        Assert.False(SchedulingFilters.Run(Pod("b", 8080), node, reasons));
        Assert.Equal([FilterReasons.NodePorts], reasons);
    }
}
