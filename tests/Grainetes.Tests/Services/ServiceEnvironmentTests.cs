using System.Text.Json.Nodes;
using Grainetes.NodeAgent.Kubelet;
using Grainetes.Tests.Kubelet;

namespace Grainetes.Tests.Services;

/// <summary>The kubelet's service environment variables (Kubernetes' pkg/kubelet/envvars), through the env resolver.</summary>
public sealed class ServiceEnvironmentTests
{
    private static JsonObject Svc(string ns, string name, string clusterIp, params (string? Name, int Port, string Protocol)[] ports) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new JsonObject
        {
            ["clusterIP"] = clusterIp,
            ["ports"] = new JsonArray(ports.Select(p =>
            {
                var port = new JsonObject { ["port"] = p.Port, ["protocol"] = p.Protocol };
                if (p.Name is not null) port["name"] = p.Name;
                return (JsonNode)port;
            }).ToArray()),
        },
    };

    private static JsonObject PodIn(string ns, bool? serviceLinks = null)
    {
        var spec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "busybox" }) };
        if (serviceLinks is { } links) spec["enableServiceLinks"] = links;
        return new JsonObject { ["metadata"] = new JsonObject { ["name"] = "p", ["namespace"] = ns, ["uid"] = "u" }, ["spec"] = spec };
    }

    private static async Task<Dictionary<string, string>> ResolveAsync(FakePodHost host, JsonObject pod, JsonObject? container = null) =>
        await new EnvironmentResolver(host, pod, "10.244.0.5").ResolveAsync(container ?? (JsonObject)pod["spec"]!["containers"]![0]!, CancellationToken.None);

    private static FakePodHost Host()
    {
        var host = new FakePodHost();
        host.Put("services", "shop", "redis-main", Svc("shop", "redis-main", "10.244.240.7", ("client", 6379, "TCP"), ("bus", 16379, "UDP")));
        host.Put("services", "shop", "headless", Svc("shop", "headless", "None", (null, 80, "TCP")));
        host.Put("services", "other", "elsewhere", Svc("other", "elsewhere", "10.244.240.9", (null, 80, "TCP")));
        host.Put("services", "default", "kubernetes", Svc("default", "kubernetes", "10.244.240.1", ("https", 443, "TCP")));
        return host;
    }

    [Fact]
    public async Task ServicesOfThePodsNamespaceAndTheKubernetesServiceBecomeVariables()
    {
        var env = await ResolveAsync(Host(), PodIn("shop"));

        Assert.Equal("10.244.240.7", env["REDIS_MAIN_SERVICE_HOST"]);
        Assert.Equal("6379", env["REDIS_MAIN_SERVICE_PORT"]);
        Assert.Equal("6379", env["REDIS_MAIN_SERVICE_PORT_CLIENT"]);
        Assert.Equal("16379", env["REDIS_MAIN_SERVICE_PORT_BUS"]);
        Assert.Equal("tcp://10.244.240.7:6379", env["REDIS_MAIN_PORT"]);
        Assert.Equal("tcp://10.244.240.7:6379", env["REDIS_MAIN_PORT_6379_TCP"]);
        Assert.Equal("tcp", env["REDIS_MAIN_PORT_6379_TCP_PROTO"]);
        Assert.Equal("6379", env["REDIS_MAIN_PORT_6379_TCP_PORT"]);
        Assert.Equal("10.244.240.7", env["REDIS_MAIN_PORT_6379_TCP_ADDR"]);
        Assert.Equal("udp://10.244.240.7:16379", env["REDIS_MAIN_PORT_16379_UDP"]);
        Assert.Equal("udp", env["REDIS_MAIN_PORT_16379_UDP_PROTO"]);
        Assert.Equal("10.244.240.1", env["KUBERNETES_SERVICE_HOST"]);
        Assert.Equal("443", env["KUBERNETES_SERVICE_PORT"]);
        Assert.Equal("443", env["KUBERNETES_SERVICE_PORT_HTTPS"]);
        Assert.Equal("tcp://10.244.240.1:443", env["KUBERNETES_PORT_443_TCP"]);

        // Headless services have no address to give; other namespaces are not visible.
        Assert.DoesNotContain(env.Keys, k => k.StartsWith("HEADLESS_", StringComparison.Ordinal));
        Assert.DoesNotContain(env.Keys, k => k.StartsWith("ELSEWHERE_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutServiceLinksOnlyTheKubernetesServiceIsSeen()
    {
        var env = await ResolveAsync(Host(), PodIn("shop", serviceLinks: false));

        Assert.Equal("10.244.240.1", env["KUBERNETES_SERVICE_HOST"]);
        Assert.DoesNotContain(env.Keys, k => k.StartsWith("REDIS_MAIN_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ContainerEnvOverridesAndExpandsServiceVariables()
    {
        var pod = PodIn("shop");
        var container = new JsonObject
        {
            ["name"] = "app",
            ["env"] = new JsonArray(
                new JsonObject { ["name"] = "REDIS_MAIN_SERVICE_PORT", ["value"] = "1" },
                new JsonObject { ["name"] = "REDIS_URL", ["value"] = "redis://$(REDIS_MAIN_SERVICE_HOST):$(REDIS_MAIN_SERVICE_PORT_CLIENT)" }),
        };

        var env = await ResolveAsync(Host(), pod, container);

        Assert.Equal("1", env["REDIS_MAIN_SERVICE_PORT"]);
        Assert.Equal("redis://10.244.240.7:6379", env["REDIS_URL"]);
    }

    [Fact]
    public async Task APodInDefaultSeesDefaultsServicesAndAHostWithoutServicesGivesNone()
    {
        var host = Host();
        host.Put("services", "default", "web", Svc("default", "web", "10.244.240.20", (null, 8080, "TCP")));
        var env = await ResolveAsync(host, PodIn("default"));
        Assert.Equal("10.244.240.20", env["WEB_SERVICE_HOST"]);
        Assert.Equal("10.244.240.1", env["KUBERNETES_SERVICE_HOST"]);

        var bare = await ResolveAsync(new FakePodHost(), PodIn("shop"));
        Assert.Empty(bare);
    }
}
