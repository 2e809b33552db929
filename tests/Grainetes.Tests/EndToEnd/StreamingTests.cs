using System.Net;
using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>exec, attach, cp and port-forward with real kubectl against the process runtime.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StreamingTests : IDisposable
{
    private readonly ClusterFixture cluster;
    private readonly string webRoot = Directory.CreateTempSubdirectory("exec-web-").FullName;

    public StreamingTests(ClusterFixture cluster)
    {
        this.cluster = cluster;
        Checks = new StreamingChecks(cluster, "", WebPod);
    }

    private StreamingChecks Checks { get; }

    public void Dispose() => Directory.Delete(webRoot, recursive: true);

    [Fact]
    public async Task ExecRunsCommandsWithStdinAndExitCodes()
    {
        var ns = await Checks.NewNamespaceWithBoxAsync();
        await Checks.ExecReportsOutputStreamsAndTheExitCodeAsync(ns);
        await Checks.ExecPipesStdinUntilItsEndAsync(ns);
        await Checks.DeleteNamespaceAsync(ns);
    }

    [Fact]
    public async Task ExecWithATerminal()
    {
        var ns = await Checks.NewNamespaceWithBoxAsync();
        await Checks.ExecWithATerminalAsync(ns);
        await Checks.DeleteNamespaceAsync(ns);
    }

    [Fact]
    public async Task AttachAndCp()
    {
        var ns = await Checks.NewNamespaceWithBoxAsync();
        await Checks.AttachSeesOutputAndFeedsStdinAsync(ns);
        await Checks.CpCopiesBothWaysAsync(ns);
        await Checks.DeleteNamespaceAsync(ns);
    }

    [Fact]
    public async Task PortForwardOverTunnelledAndPlainSpdy()
    {
        var ns = await Checks.NewNamespaceWithBoxAsync();
        await Checks.PortForwardReachesThePodAsync(ns, websockets: true);
        await Checks.PortForwardReachesThePodAsync(ns, websockets: false);
        await Checks.DeleteNamespaceAsync(ns);
    }

    [Fact]
    public async Task StreamingSubresourcesAreDiscoverableAndMistakesArePlainErrors()
    {
        using var http = cluster.CreateHttpClient();
        var resources = JsonNode.Parse(await http.GetStringAsync("/api/v1"))!["resources"]!.AsArray();
        foreach (var sub in new[] { "pods/exec", "pods/attach", "pods/portforward" })
        {
            var entry = resources.Single(r => (string?)r!["name"] == sub)!;
            Assert.Equal(["create", "get"], entry["verbs"]!.AsArray().Select(v => (string?)v));
        }

        var ns = await Checks.NewNamespaceWithBoxAsync();
        var wrong = await cluster.Kubectl.RunAsync($"exec -n {ns} box -c nope -- true");
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("container nope is not valid for pod box", wrong.Stderr, StringComparison.Ordinal);

        var plain = await http.GetAsync($"/api/v1/namespaces/{ns}/pods/box/exec?command=true&stdout=true");
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Equal("Upgrade request required", (string?)JsonNode.Parse(await plain.Content.ReadAsStringAsync())!["message"]);

        var missing = await http.GetAsync($"/api/v1/namespaces/{ns}/pods/nobody/portforward");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        await Checks.DeleteNamespaceAsync(ns);
    }

    /// <summary>Pods share the host's network in the process runtime: busybox httpd on a free port, serving a temporary folder.</summary>
    private (string Yaml, int Port, string Body) WebPod()
    {
        var port = FreePort.Next();
        File.WriteAllText(Path.Combine(webRoot, "index.html"), "hello from the process runtime\n");
        var yaml = $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: web}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: {{cluster.TestImage}}, command: [busybox, httpd, -f, -p, '{{port}}', -h, '{{webRoot}}']}
            """;
        return (yaml, port, "hello from the process runtime");
    }
}
