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
        await Checks.InNamespaceWithBoxAsync(async ns =>
        {
            await Checks.ExecReportsOutputStreamsAndTheExitCodeAsync(ns);
            await Checks.ExecPipesStdinUntilItsEndAsync(ns);
            await Checks.ExecOverSpdyAsync(ns);
        });
    }

    [Fact]
    public async Task ExecWithATerminal()
    {
        await Checks.InNamespaceWithBoxAsync(async ns =>
        {
            await Checks.ExecWithATerminalAsync(ns);
        });
    }

    [Fact]
    public async Task AttachAndCp()
    {
        await Checks.InNamespaceWithBoxAsync(async ns =>
        {
            await Checks.AttachSeesOutputAndFeedsStdinAsync(ns);
            await Checks.CpCopiesBothWaysAsync(ns);
        });
    }

    [Fact]
    public async Task PortForwardOverTunnelledAndPlainSpdy()
    {
        await Checks.InNamespaceWithBoxAsync(async ns =>
        {
            await Checks.PortForwardReachesThePodAsync(ns, websockets: true);
            await Checks.PortForwardReachesThePodAsync(ns, websockets: false);
        });
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

        await Checks.InNamespaceWithBoxAsync(async ns =>
        {
            var wrong = await cluster.Kubectl.RunAsync($"exec -n {ns} box -c nope -- true");
            Assert.NotEqual(0, wrong.ExitCode);
            Assert.Contains("container nope is not valid for pod box", wrong.Stderr, StringComparison.Ordinal);

            var plain = await http.GetAsync($"/api/v1/namespaces/{ns}/pods/box/exec?command=true&stdout=true");
            Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
            Assert.Equal("Upgrade request required", (string?)JsonNode.Parse(await plain.Content.ReadAsStringAsync())!["message"]);

            var missing = await http.GetAsync($"/api/v1/namespaces/{ns}/pods/nobody/portforward");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        });
    }

    [Fact]
    public async Task StreamsOfAPodOnAnotherNodeAreRelayedToThatNodesEndpoint()
    {
        await using var far = new FarNode();
        await far.StartAsync();
        var node = "far-" + Guid.NewGuid().ToString("N")[..8];
        var ns = "s-" + Guid.NewGuid().ToString("N")[..10];
        using var http = cluster.CreateHttpClient();
        var kubectl = cluster.Kubectl;
        try
        {
            // Unschedulable and tainted, so that no other test's pod (nor any DaemonSet's) lands on it.
            (await kubectl.RunAsync("apply -f -", $$"""
                apiVersion: v1
                kind: Node
                metadata:
                  name: {{node}}
                  annotations: {grainetes.io/kubelet-address: 127.0.0.1}
                spec:
                  unschedulable: true
                  taints: [{key: grainetes.io/test-only, effect: NoSchedule}]
                """)).EnsureSuccess();
            await PatchStatusAsync(http, $"/api/v1/nodes/{node}/status", """{"status":{"daemonEndpoints":{"kubeletEndpoint":{"Port":""" + far.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}}}");
            (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
            (await kubectl.RunAsync($"apply -n {ns} -f -", $$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: away}
                spec:
                  nodeName: {{node}}
                  containers: [{name: main, image: {{cluster.TestImage}}, command: [sleep, '3600']}]
                """)).EnsureSuccess();
            await PatchStatusAsync(http, $"/api/v1/namespaces/{ns}/pods/away/status", """{"status":{"phase":"Running"}}""");

            var exec = await kubectl.RunAsync($"exec -n {ns} away -- hostname");
            Assert.Equal(7, exec.ExitCode);
            Assert.Equal("far node ran: hostname\n", exec.Stdout);

            var localPort = FreePort.Next();
            using var forward = kubectl.Start($"port-forward -n {ns} pod/away {localPort}:80");
            try
            {
                await forward.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                using var page = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
                Assert.Equal(FarNode.Page, await page.GetStringAsync($"http://127.0.0.1:{localPort}/index.html"));
            }
            finally
            {
                forward.Kill(entireProcessTree: true);
                await forward.WaitForExitAsync();
            }

            var own = JsonNode.Parse((await kubectl.RunAsync("get nodes -o json")).EnsureSuccess().Stdout)!["items"]!.AsArray()
                .Select(n => (string)n!["metadata"]!["name"]!).Single(n => n != node);
            lock (far.RelayedBy)
            {
                Assert.Equal([own, own], far.RelayedBy);
            }
        }
        finally
        {
            // The node first: a pod on a node that no longer exists is removed at once.
            await kubectl.RunAsync($"delete node {node}");
            await kubectl.RunAsync($"delete namespace {ns} --wait=false");
        }
    }

    private static async Task PatchStatusAsync(HttpClient http, string path, string patch)
    {
        using var content = new StringContent(patch, System.Text.Encoding.UTF8, "application/merge-patch+json");
        using var response = await http.PatchAsync(path, content);
        Assert.True(response.IsSuccessStatusCode, $"PATCH {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
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
