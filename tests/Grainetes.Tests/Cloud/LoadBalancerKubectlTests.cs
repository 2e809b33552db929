using System.Net;
using System.Text.Json.Nodes;
using Grainetes.Tests.EndToEnd;

namespace Grainetes.Tests.Cloud;

/// <summary>A LoadBalancer service through real kubectl against the real host: EXTERNAL-IP, events, forwarding, release.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LoadBalancerKubectlTests(ClusterFixture cluster)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly Kubectl kubectl = cluster.Kubectl;

    [Fact]
    public async Task KubectlShowsTheExternalIpTheBalancerForwardsAndDeletionReleasesIt()
    {
        var ns = "lb-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync("create -f -", $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n")).EnsureSuccess();
        await using var echo = EchoServer.StartInNodePortRange();
        var manifest = $$"""
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              type: LoadBalancer
              selector: {app: web}
              ports: [{name: http, port: 8080, nodePort: {{echo.Port}}}]
            """;
        Assert.Contains("service/web created", (await kubectl.RunAsync($"apply -n {ns} -f -", manifest)).EnsureSuccess().Stdout);

        // NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE: <pending> until the controller writes the status.
        var row = await Poll.UntilAsync(
            async () => (await kubectl.RunAsync($"get svc web -n {ns} --no-headers")).Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            columns => columns.Length > 3 && columns[3] != "<pending>",
            Deadline,
            "an EXTERNAL-IP for web");
        Assert.Equal("LoadBalancer", row[1]);
        var ip = row[3];
        Assert.True(IPNetwork.Parse("127.0.0.0/8").Contains(IPAddress.Parse(ip)), ip);
        Assert.Equal($"8080:{echo.Port}/TCP", row[4]);

        var svc = JsonNode.Parse((await kubectl.RunAsync($"get svc web -n {ns} -o json")).EnsureSuccess().Stdout)!;
        Assert.Equal(ip, (string?)svc["status"]!["loadBalancer"]!["ingress"]![0]!["ip"]);
        Assert.Contains("service.kubernetes.io/load-balancer-cleanup", svc["metadata"]!["finalizers"]!.AsArray().Select(f => (string?)f));
        var described = await Poll.UntilAsync(
            async () => (await kubectl.RunAsync($"describe svc web -n {ns}")).Stdout,
            text => text.Contains("EnsuredLoadBalancer", StringComparison.Ordinal),
            Deadline,
            "the EnsuredLoadBalancer event in describe");
        Assert.Contains($"LoadBalancer Ingress:", described, StringComparison.Ordinal);

        // The host forwards <EXTERNAL-IP>:8080 to 127.0.0.1:<nodePort>, where the echo server stands in for the proxy.
        var answer = await Poll.UntilAsync(() => EchoServer.RoundTripAsync(IPAddress.Parse(ip), 8080, "ping"), a => a is not null, Deadline, "an echo through the balancer");
        Assert.Equal("ping", answer);

        // kubectl delete waits until the service is gone, which the finalizer allows only once the balancer is.
        (await kubectl.RunAsync($"delete svc web -n {ns} --timeout=90s")).EnsureSuccess();

        // Released: another service may ask for exactly that address and gets it.
        var again = $$"""
            apiVersion: v1
            kind: Service
            metadata: {name: again}
            spec:
              type: LoadBalancer
              loadBalancerIP: {{ip}}
              ports: [{port: 8081}]
            """;
        (await kubectl.RunAsync($"apply -n {ns} -f -", again)).EnsureSuccess();
        await Poll.UntilAsync(
            async () => (await kubectl.RunAsync($"get svc again -n {ns} -o jsonpath={{.status.loadBalancer.ingress[0].ip}}")).Stdout.Trim(),
            text => text == ip,
            Deadline,
            "the released address for another service");
        (await kubectl.RunAsync($"delete ns {ns} --wait=false")).EnsureSuccess();
    }
}
