using System.Text.Json.Nodes;
using Grainetes.NodeAgent.Proxy;

namespace Grainetes.Tests.Proxy;

public sealed class ProxyRulesTests
{
    private static JsonObject Service(string type = "NodePort", string? affinity = null, int? timeout = null)
    {
        var service = JsonNode.Parse("""
            {"metadata":{"namespace":"default","name":"web"},
             "spec":{"type":"NodePort","clusterIP":"10.244.240.20",
                     "ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":"web","nodePort":30080},
                              {"name":"admin","protocol":"TCP","port":81,"targetPort":9000,"nodePort":30081}]}}
            """)!.AsObject();
        var spec = service["spec"]!.AsObject();
        spec["type"] = type;
        if (affinity is not null)
        {
            spec["sessionAffinity"] = affinity;
        }

        if (timeout is not null)
        {
            spec["sessionAffinityConfig"] = new JsonObject { ["clientIP"] = new JsonObject { ["timeoutSeconds"] = timeout } };
        }

        return service;
    }

    private static JsonObject Slice(string name, string portName, int port, params (string Ip, bool? Ready, string Node)[] endpoints) => new()
    {
        ["metadata"] = new JsonObject { ["namespace"] = "default", ["name"] = name, ["labels"] = new JsonObject { [ProxyRules.ServiceNameLabel] = "web" } },
        ["addressType"] = "IPv4",
        ["ports"] = new JsonArray(new JsonObject { ["name"] = portName, ["protocol"] = "TCP", ["port"] = port }),
        ["endpoints"] = new JsonArray(endpoints.Select(e =>
        {
            var conditions = new JsonObject();
            if (e.Ready is { } r)
            {
                conditions["ready"] = r;
            }

            return (JsonNode)new JsonObject { ["addresses"] = new JsonArray(e.Ip), ["conditions"] = conditions, ["nodeName"] = e.Node };
        }).ToArray()),
    };

    [Fact]
    public void EachServicePortGetsItsReadyEndpointsFromSlicePortsOfTheSameName()
    {
        // A named targetPort resolves per pod: the two pods listen on different numbers, in two slices.
        var rules = ProxyRules.Build(
            [Service()],
            [
                Slice("web-a", "http", 8080, ("10.244.0.3", true, "n1"), ("10.244.0.2", null, "n1"), ("10.244.0.4", false, "n1")),
                Slice("web-b", "http", 8081, ("10.244.0.5", true, "n2")),
                Slice("web-c", "admin", 9000, ("10.244.0.2", true, "n1")),
            ]);

        var http = Assert.Single(rules, r => r.Port == 80);
        Assert.Equal("default/web:http", http.Key);
        Assert.Equal("10.244.240.20", http.ClusterIP);
        Assert.Equal(30080, http.NodePort);
        Assert.Null(http.AffinityTimeout);
        Assert.Equal(
            [new Backend("10.244.0.2", 8080, "n1"), new Backend("10.244.0.3", 8080, "n1"), new Backend("10.244.0.5", 8081, "n2")],
            http.Backends);
        var admin = Assert.Single(rules, r => r.Port == 81);
        Assert.Equal([new Backend("10.244.0.2", 9000, "n1")], admin.Backends);
    }

    [Fact]
    public void ClusterIPServicesHaveNoNodePortAndAffinityHasItsTimeout()
    {
        var rules = ProxyRules.Build([Service("ClusterIP", "ClientIP", 60)], []);

        Assert.All(rules, r => Assert.Equal(0, r.NodePort));
        Assert.All(rules, r => Assert.Equal(TimeSpan.FromSeconds(60), r.AffinityTimeout));
        Assert.All(rules, r => Assert.Empty(r.Backends));
        Assert.Equal(TimeSpan.FromSeconds(ProxyRules.DefaultAffinitySeconds), ProxyRules.Build([Service(affinity: "ClientIP")], [])[0].AffinityTimeout);
    }

    [Fact]
    public void ExternalNameAndHeadlessServicesAreNotProxied()
    {
        var headless = Service("ClusterIP");
        headless["spec"]!["clusterIP"] = "None";

        Assert.Empty(ProxyRules.Build([Service("ExternalName"), headless], []));
    }
}
