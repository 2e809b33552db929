using System.Net;
using System.Text.Json.Nodes;
using Grainetes.Tests.EndToEnd;

namespace Grainetes.Tests.Services;

/// <summary>Services through real kubectl against the real host: allocation, apply round trips, slices in tables.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ServicesKubectlTests(ClusterFixture cluster)
{
    private readonly Kubectl kubectl = cluster.Kubectl;

    [Fact]
    public async Task ANodePortServiceGetsItsAddressesAndItsEndpointSliceAndApplyLeavesThemAlone()
    {
        var ns = "t-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync("create -f -", $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n")).EnsureSuccess();
        var manifest = """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              type: NodePort
              selector: {app: web}
              ports: [{name: http, port: 80, targetPort: http}]
            """;
        Assert.Contains("service/web created", (await kubectl.RunAsync($"apply -n {ns} -f -", manifest)).EnsureSuccess().Stdout);
        var svc = JsonNode.Parse((await kubectl.RunAsync($"get svc web -n {ns} -o json")).EnsureSuccess().Stdout)!;
        var ip = (string)svc["spec"]!["clusterIP"]!;
        Assert.True(IPNetwork.Parse("10.244.240.0/20").Contains(IPAddress.Parse(ip)), ip);
        Assert.InRange((int)svc["spec"]!["ports"]![0]!["nodePort"]!, 30000, 32767);

        Assert.Contains("unchanged", (await kubectl.RunAsync($"apply -n {ns} -f -", manifest)).EnsureSuccess().Stdout);
        var again = JsonNode.Parse((await kubectl.RunAsync($"get svc web -n {ns} -o json")).EnsureSuccess().Stdout)!;
        Assert.Equal(ip, (string?)again["spec"]!["clusterIP"]);

        var slices = await Poll.UntilAsync(
            async () => (await kubectl.RunAsync($"get endpointslices -n {ns}")).Stdout,
            text => text.Contains("web-", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            "the service's EndpointSlice");
        Assert.Contains("ADDRESSTYPE", slices, StringComparison.Ordinal);
        Assert.Contains("IPv4", slices, StringComparison.Ordinal);
        await Poll.UntilAsync(async () => (await kubectl.RunAsync($"get endpoints web -n {ns}")).ExitCode, code => code == 0, TimeSpan.FromSeconds(60), "endpoints");

        (await kubectl.RunAsync($"delete svc web -n {ns}")).EnsureSuccess();
        await Poll.UntilAsync(
            async () => (await kubectl.RunAsync($"get endpointslices,endpoints -n {ns} -o name")).Stdout.Trim(),
            text => text.Length == 0,
            TimeSpan.FromSeconds(60),
            "endpoints and slices collected");
    }
}
