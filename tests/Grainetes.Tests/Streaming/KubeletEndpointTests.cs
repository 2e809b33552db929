using System.Text.Json.Nodes;
using Grainetes.ApiServer.Streaming;

namespace Grainetes.Tests.Streaming;

public sealed class KubeletEndpointTests
{
    [Fact]
    public void TheAnnotatedAddressWinsThenInternalIPThenHostname()
    {
        Assert.Equal(new Uri("http://127.0.0.1:6443/"), KubeletEndpoint.Of(Node(port: 6443, annotation: "127.0.0.1", ("InternalIP", "10.1.2.3"))));
        Assert.Equal(new Uri("http://10.1.2.3:10250/"), KubeletEndpoint.Of(Node(port: 10250, annotation: null, ("Hostname", "n1"), ("InternalIP", "10.1.2.3"))));
        Assert.Equal(new Uri("http://n1:10250/"), KubeletEndpoint.Of(Node(port: 10250, annotation: null, ("Hostname", "n1"))));
        Assert.Equal(new Uri("http://[::1]:10250/"), KubeletEndpoint.Of(Node(port: 10250, annotation: "::1")));
    }

    [Fact]
    public void ANodeWithoutAPortOrAddressHasNoEndpoint()
    {
        Assert.Null(KubeletEndpoint.Of(Node(port: 0, annotation: "127.0.0.1")));
        Assert.Null(KubeletEndpoint.Of(Node(port: 10250, annotation: null)));
        Assert.Null(KubeletEndpoint.Of(JsonNode.Parse("""{"metadata":{"name":"n"}}""")!));
    }

    private static JsonNode Node(int port, string? annotation, params (string Type, string Address)[] addresses)
    {
        var node = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "n1", ["annotations"] = new JsonObject() },
            ["status"] = new JsonObject
            {
                ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = port } },
                ["addresses"] = new JsonArray([.. addresses.Select(a => (JsonNode)new JsonObject { ["type"] = a.Type, ["address"] = a.Address })]),
            },
        };
        if (annotation is not null)
        {
            node["metadata"]!["annotations"]![KubeletEndpoint.AddressAnnotation] = annotation;
        }

        return node;
    }
}
