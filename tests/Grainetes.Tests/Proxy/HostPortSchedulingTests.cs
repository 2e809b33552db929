using System.Text.Json.Nodes;
using Grainetes.Tests.EndToEnd;

namespace Grainetes.Tests.Proxy;

/// <summary>With the process runtime pods share the host's network: two pods wanting one host port never share a node.</summary>
[Collection(ClusterCollection.Name)]
public sealed class HostPortSchedulingTests(ClusterFixture cluster)
{
    [Fact]
    public async Task ASecondPodAskingForATakenHostPortStaysPendingWithFailedScheduling()
    {
        var kubectl = cluster.Kubectl;
        var ns = "hp-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        var port = Random.Shared.Next(20000, 29000);
        foreach (var name in new[] { "first", "second" })
        {
            (await kubectl.RunAsync($"apply -n {ns} -f -", $$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: {{name}}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - {name: main, image: {{cluster.TestImage}}, command: [sleep, '3600'], ports: [{containerPort: {{port}}, hostPort: {{port}}}]}
                """)).EnsureSuccess();
            if (name == "first")
            {
                (await kubectl.RunAsync($"wait --for=condition=PodScheduled pod/first -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100))).EnsureSuccess();
            }
        }

        var events = await Poll.UntilAsync(
            async () => (await kubectl.RunAsync($"get events -n {ns} --field-selector involvedObject.name=second -o json")).Stdout,
            e => e.Contains("FailedScheduling", StringComparison.Ordinal),
            TimeSpan.FromSeconds(90),
            "a FailedScheduling event for the second pod");
        Assert.Contains("didn't have free ports for the requested pod ports", events, StringComparison.Ordinal);
        var second = JsonNode.Parse((await kubectl.RunAsync($"get pod second -n {ns} -o json")).EnsureSuccess().Stdout)!;
        Assert.Equal("Pending", (string?)second["status"]!["phase"]);
        Assert.True(string.IsNullOrEmpty((string?)second["spec"]!["nodeName"]));

        // The port frees when the first pod goes, and the second is placed.
        (await kubectl.RunAsync($"delete pod first -n {ns} --timeout=60s", timeout: TimeSpan.FromSeconds(70))).EnsureSuccess();
        await Poll.UntilAsync(
            async () => JsonNode.Parse((await kubectl.RunAsync($"get pod second -n {ns} -o json")).EnsureSuccess().Stdout)!,
            p => !string.IsNullOrEmpty((string?)p["spec"]?["nodeName"]),
            TimeSpan.FromSeconds(90),
            "the second pod scheduled once the port is free");
        await kubectl.RunAsync($"delete namespace {ns} --wait=false");
    }
}
