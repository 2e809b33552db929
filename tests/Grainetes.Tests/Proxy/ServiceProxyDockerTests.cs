using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Grainetes.NodeAgent.Proxy;
using Grainetes.Tests.EndToEnd;

namespace Grainetes.Tests.Proxy;

/// <summary>
/// Services reached for real through this host's proxy: httpd pods in Docker on Grainetes' bridge, a client pod, and
/// the test itself on 127.0.0.1. Traffic goes only to loopback and to addresses of the bridge Grainetes made. Cluster
/// IPs and node ports are picked at random in their ranges, so clusters of other test classes on this host do not
/// compete for them.
/// </summary>
public sealed class ServiceProxyDockerTests(DockerClusterFixture docker) : IClassFixture<DockerClusterFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private Kubectl Kubectl => docker.Cluster.Kubectl;

    [SkippableFact]
    public async Task ADeploymentIsReachedThroughClusterIPFromAPodAndThroughNodePortAcrossEveryReplica()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        var ns = await NewNamespaceAsync();
        var clusterIP = RandomClusterIP();
        var nodePort = RandomNodePort();
        await DeployWebAsync(ns, replicas: 3);
        await RunOkAsync($"expose deployment web -n {ns} --port 80 --target-port 8080 --cluster-ip {clusterIP}");
        await CreateNodePortServiceAsync(ns, "web-np", nodePort, affinity: false);
        await RunClientPodAsync(ns);

        // Every pod has its own address on the bridge, from the pods' part of it.
        var wide = (await RunOkAsync($"get pods -n {ns} -o wide")).Stdout;
        var pods = await PodsAsync(ns);
        var ips = pods.Select(p => (string?)p["status"]!["podIP"]).ToList();
        Assert.Equal(4, ips.Distinct().Count());
        Assert.All(ips, ip => Assert.True(InPodRange(ip), $"{ip} is not in 10.244.0.0/17"));
        Assert.All(ips, ip => Assert.Contains(ip!, wide));
        var names = WebPodNames(pods);

        // ClusterIP from another pod: round-robin reaches every replica.
        var last = await Poll.UntilAsync(
            () => Kubectl.RunAsync(
                $"exec client -n {ns} -- sh -c 'for i in 1 2 3 4 5 6; do wget -qO- http://{clusterIP}:80/; done'",
                timeout: TimeSpan.FromSeconds(90)),
            r => names.All(Lines(r.Stdout).Contains),
            Patience,
            "every replica answering through the cluster IP");
        Assert.Subset(names, Lines(last.Stdout));

        // NodePort on 127.0.0.1 from the test.
        var viaNodePort = await AnswersAsync(nodePort, 9);
        Assert.Equal(names, viaNodePort.ToHashSet());
        Assert.All(names, n => Assert.Equal(3, viaNodePort.Count(a => a == n)));
    }

    [SkippableFact]
    public async Task TheProxyFollowsReadinessAndScalingAndClientIPAffinitySticks()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        var ns = await NewNamespaceAsync();
        var nodePort = RandomNodePort();
        var stickyPort = RandomNodePort();
        await DeployWebAsync(ns, replicas: 3);
        await CreateNodePortServiceAsync(ns, "web-np", nodePort, affinity: false);
        await CreateNodePortServiceAsync(ns, "web-sticky", stickyPort, affinity: true);
        var names = WebPodNames(await PodsAsync(ns));
        await Poll.UntilAsync(() => AnswersAsync(nodePort, 6), a => a.ToHashSet().SetEquals(names), Patience, "all replicas behind the node port");

        // Affinity: one client (127.0.0.1) keeps its replica.
        var sticky = await Poll.UntilAsync(() => AnswersAsync(stickyPort, 6), a => a.Count == 6 && a.All(x => names.Contains(x)), Patience, "answers through the sticky port");
        Assert.Single(sticky.Distinct());

        // Readiness off: the replica leaves the rotation; on again: it comes back.
        var flipped = names.First();
        await RunOkAsync($"exec {flipped} -n {ns} -- rm /tmp/ready");
        await Poll.UntilAsync(() => AnswersAsync(nodePort, 6), a => a.Count == 6 && !a.Contains(flipped), Patience, $"{flipped} out of the rotation");
        await RunOkAsync($"exec {flipped} -n {ns} -- touch /tmp/ready");
        await Poll.UntilAsync(() => AnswersAsync(nodePort, 6), a => a.Contains(flipped), Patience, $"{flipped} back in the rotation");

        // Scaling down: the proxy follows the endpoints to the one replica left.
        await RunOkAsync($"scale deployment web -n {ns} --replicas=1");
        var last = await Poll.UntilAsync(() => AnswersAsync(nodePort, 6), a => a.Count == 6 && a.Distinct().Count() == 1, Patience, "one replica left");
        Assert.Contains(last[0], names);
    }

    [SkippableFact]
    public async Task AServiceWithoutReadyEndpointsRefusesConnectionsAtOnce()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        var ns = await NewNamespaceAsync();
        var nodePort = RandomNodePort();
        await CreateNodePortServiceAsync(ns, "nobody", nodePort, affinity: false, selector: "nothing-matches");

        // Once the listener is up, a connection gets a reset, not silence.
        var error = await Poll.UntilAsync(
            () => TcpFrontendTests.ResetOrHangAsync(new IPEndPoint(IPAddress.Loopback, nodePort)),
            e => e == SocketError.ConnectionReset,
            Patience,
            "a reset from the node port");
        Assert.Equal(SocketError.ConnectionReset, error);
    }

    [SkippableFact]
    public async Task ANodePortHeldByAnotherListenerIsNeitherSharedNorStolenAndIsReportedOnTheService()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        var ns = await NewNamespaceAsync();
        var nodePort = RandomNodePort();

        // Bound the way the proxy once bound (ReuseAddress is SO_REUSEPORT on Linux): a proxy asking for the same would
        // be let in beside it and take a share of the connections.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        holder.Bind(new IPEndPoint(IPAddress.Any, nodePort));
        holder.Listen(64);
        await CreateNodePortServiceAsync(ns, "taken", nodePort, affinity: false, selector: "nothing-matches");

        await Poll.UntilAsync(
            () => Kubectl.RunAsync($"get events -n {ns} --field-selector involvedObject.name=taken,reason={ServiceProxy.BindFailedReason} -o name"),
            r => r.ExitCode == 0 && r.Stdout.Trim().Length > 0,
            Patience,
            "a Warning event on the service about its node port");

        // Every connection reaches the first listener (a shared port would hand some to the proxy, which resets them).
        for (var i = 0; i < 8; i++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, nodePort), bound.Token);
            using var accepted = await holder.AcceptAsync(bound.Token);
            Assert.Equal(client.LocalEndPoint, accepted.RemoteEndPoint);
        }
    }

    [SkippableFact]
    public async Task TheProxyServesAgainAfterTheSiloRestarts()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        var ns = await NewNamespaceAsync();
        var nodePort = RandomNodePort();
        await DeployWebAsync(ns, replicas: 2);
        await CreateNodePortServiceAsync(ns, "web-np", nodePort, affinity: false);
        var names = WebPodNames(await PodsAsync(ns));
        await Poll.UntilAsync(() => AnswersAsync(nodePort, 4), a => a.ToHashSet().SetEquals(names), Patience, "both replicas before the restart");

        await docker.Cluster.RestartAsync();

        // The pods' containers were adopted, not replaced: the same replicas answer through a re-listed, re-bound proxy.
        var after = await Poll.UntilAsync(() => AnswersAsync(nodePort, 4), a => a.ToHashSet().SetEquals(names), Patience, "both replicas after the restart");
        Assert.Equal(names, after.ToHashSet());
    }

    [SkippableFact]
    public async Task ALoadBalancerServiceReachesEveryReplicaThroughItsExternalIPAndRefusesOnceDeleted()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        var ns = await NewNamespaceAsync();
        var nodePort = RandomNodePort();

        // A random service port too: the host's random loopback /24 makes a clash with another run's cluster unlikely,
        // not impossible, and an address and port another one holds would not bind.
        var port = Random.Shared.Next(20000, 30000);
        await DeployWebAsync(ns, replicas: 3);
        await RunOkAsync($"apply -n {ns} -f -", $$"""
            apiVersion: v1
            kind: Service
            metadata: {name: web-lb}
            spec:
              type: LoadBalancer
              clusterIP: {{RandomClusterIP()}}
              selector: {app: web}
              ports: [{port: {{port}}, targetPort: http, nodePort: {{nodePort}}}]
            """);
        var names = WebPodNames(await PodsAsync(ns));

        // NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, as kubectl prints it.
        var row = await Poll.UntilAsync(
            async () => (await Kubectl.RunAsync($"get svc web-lb -n {ns} --no-headers")).Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            columns => columns.Length > 4 && columns[3] != "<pending>",
            Patience,
            "an EXTERNAL-IP for web-lb");
        Assert.Equal("LoadBalancer", row[1]);
        Assert.True(IPAddress.TryParse(row[3], out var external) && IPNetwork.Parse("127.0.0.0/8").Contains(external), $"{row[3]} is not in 127.0.0.0/8");
        Assert.Equal($"{port}:{nodePort}/TCP", row[4]);

        // The balancer's address relays to the node port, which the proxy spreads round robin over the replicas.
        var answers = await Poll.UntilAsync(
            () => AnswersAsync(row[3], port, 9),
            a => a.Count == 9 && a.ToHashSet().SetEquals(names),
            Patience,
            "every replica answering through the external IP");
        Assert.All(names, n => Assert.Equal(3, answers.Count(a => a == n)));

        // Deleted: the listener on the external address goes, so a connection is refused rather than relayed.
        await RunOkAsync($"delete svc web-lb -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100));
        var error = await Poll.UntilAsync(
            () => TcpFrontendTests.ResetOrHangAsync(new IPEndPoint(external, port)),
            e => e == SocketError.ConnectionRefused,
            Patience,
            "a refusal from the deleted balancer's address");
        Assert.Equal(SocketError.ConnectionRefused, error);
    }

    private async Task<string> NewNamespaceAsync()
    {
        var ns = "px-" + Guid.NewGuid().ToString("N")[..10];
        await RunOkAsync($"create namespace {ns}");
        return ns;
    }

    /// <summary>kubectl that must succeed; a failure carries the tail of the host's output, to tell a dead host from a refusal.</summary>
    private async Task<CommandResult> RunOkAsync(string arguments, string? stdin = null, TimeSpan? timeout = null)
    {
        var result = await Kubectl.RunAsync(arguments, stdin, timeout);
        if (result.ExitCode != 0)
        {
            var output = docker.Cluster.HostOutput;
            throw new InvalidOperationException(
                $"kubectl {arguments}: exit {result.ExitCode}\nstderr: {result.Stderr}\nhost output (tail):\n{output[Math.Max(0, output.Length - 6000)..]}");
        }

        return result;
    }

    private async Task DeployWebAsync(string ns, int replicas)
    {
        await RunOkAsync($"apply -n {ns} -f -", $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: {{replicas}}
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: httpd
                    image: grainetes/busybox:test
                    command: [/bin/sh, -c, 'mkdir -p /www && hostname > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www']
                    ports: [{name: http, containerPort: 8080}]
                    readinessProbe:
                      exec: {command: [test, -f, /tmp/ready]}
                      periodSeconds: 1
                      failureThreshold: 1
            """);
        await RunOkAsync($"rollout status deployment/web -n {ns} --timeout=150s", timeout: TimeSpan.FromSeconds(160));
    }

    private async Task CreateNodePortServiceAsync(string ns, string name, int nodePort, bool affinity, string selector = "web")
    {
        await RunOkAsync($"apply -n {ns} -f -", $$"""
            apiVersion: v1
            kind: Service
            metadata: {name: {{name}}}
            spec:
              type: NodePort
              clusterIP: {{RandomClusterIP()}}
              selector:
                app: {{selector}}
              sessionAffinity: {{(affinity ? "ClientIP" : "None")}}
              ports: [{port: 80, targetPort: http, nodePort: {{nodePort}}}]
            """);
    }

    private async Task RunClientPodAsync(string ns)
    {
        await RunOkAsync($"run client -n {ns} --image grainetes/busybox:test --restart=Never --command -- sleep 3600");
        await RunOkAsync($"wait --for=condition=Ready pod/client -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100));
    }

    private async Task<List<JsonNode>> PodsAsync(string ns)
    {
        var list = JsonNode.Parse((await RunOkAsync($"get pods -n {ns} -o json")).Stdout)!;
        return list["items"]!.AsArray().Select(p => p!).ToList();
    }

    private static HashSet<string> WebPodNames(List<JsonNode> pods) =>
        pods.Where(p => (string?)p["metadata"]!["labels"]?["app"] == "web").Select(p => (string)p["metadata"]!["name"]!).ToHashSet();

    /// <summary><paramref name="count"/> requests through the node port on loopback; failed ones are left out.</summary>
    private static Task<List<string>> AnswersAsync(int nodePort, int count) => AnswersAsync("127.0.0.1", nodePort, count);

    /// <summary><paramref name="count"/> requests to <paramref name="host"/> and <paramref name="port"/>; failed ones are left out.</summary>
    private static async Task<List<string>> AnswersAsync(string host, int port, int count)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var answers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            try
            {
                // A new connection each time: balancing is per connection.
                using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{host}:{port}/");
                request.Headers.ConnectionClose = true;
                using var response = await http.SendAsync(request);
                answers.Add((await response.Content.ReadAsStringAsync()).Trim());
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
        }

        return answers;
    }

    private static HashSet<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();

    private static bool InPodRange(string? ip) =>
        IPAddress.TryParse(ip, out var a) && a.GetAddressBytes() is [10, 244, < 128, _];

    private static string RandomClusterIP() => $"10.244.{Random.Shared.Next(241, 256)}.{Random.Shared.Next(2, 255)}";

    private static int RandomNodePort() => Random.Shared.Next(31000, 32768);
}
