using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Benchmarks.Startup;

namespace Grainetes.Benchmarks.Proxy;

/// <summary>
/// The service proxy's cost: HTTP/1.0 requests (a new connection each, as busybox httpd closes after every answer) to a
/// 3-replica httpd Deployment through its NodePort on 127.0.0.1 and through its ClusterIP, against the same requests
/// sent straight to one pod's address on Grainetes' bridge, in one run on one Docker-runtime cluster. Latency from
/// one sequential client, throughput from <see cref="Concurrency"/> clients; then the time from a pod turning Ready
/// (seen through the API) to the first request through the node port that it answers.
/// </summary>
public static class ProxyBenchmark
{
    private const int Concurrency = 8;
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\n\r\n");

    public static async Task<int> RunAsync(bool quick)
    {
        var latencyRequests = quick ? 300 : 2000;
        var throughputTime = TimeSpan.FromSeconds(quick ? 3 : 10);
        var readySamples = quick ? 3 : 8;
        var run = Guid.NewGuid().ToString("N")[..6];
        var ns = "proxy-" + run;
        await using var cluster = await Cluster.StartAsync("--runtime", "docker").ConfigureAwait(false);
        cluster.AfterHostStopped = root => PodStartupBenchmark.SweepLeftovers("docker", ns, root);
        using var api = new KubeApi(cluster.RunningHost.ApiAddress);
        using var setup = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var ct = setup.Token;
        await api.CreateNamespaceAsync(ns, ct).ConfigureAwait(false);

        var clusterIP = $"10.244.{Random.Shared.Next(241, 256)}.{Random.Shared.Next(2, 255)}";
        var nodePort = Random.Shared.Next(31000, 32768);
        await api.PostAsync($"/apis/apps/v1/namespaces/{ns}/deployments", Deployment("web", 3), ct).ConfigureAwait(false);
        await api.PostAsync($"/api/v1/namespaces/{ns}/services", Service("web", "web", clusterIP, nodePort), ct).ConfigureAwait(false);
        var pods = await WaitForReadyPodsAsync(api, ns, "web", 3, ct).ConfigureAwait(false);
        var direct = new IPEndPoint(IPAddress.Parse(pods[0].IP), 8080);
        var viaNodePort = new IPEndPoint(IPAddress.Loopback, nodePort);
        var viaClusterIP = new IPEndPoint(IPAddress.Parse(clusterIP), 80);
        Cluster.Log($"3 replicas ready ({string.Join(", ", pods.Select(p => p.IP))}); waiting for the proxy");
        await UntilAnswersAsync(viaNodePort, ct).ConfigureAwait(false);
        await UntilAnswersAsync(viaClusterIP, ct).ConfigureAwait(false);

        var targets = new (string Name, IPEndPoint Address)[] { ("direct to one pod", direct), ("NodePort 127.0.0.1", viaNodePort), ("ClusterIP", viaClusterIP) };
        foreach (var (_, address) in targets)
        {
            await SequentialAsync(address, 100, ct).ConfigureAwait(false); // warm-up
        }

        var lines = new List<string>();
        double directRps = 0, directP50 = 0;
        foreach (var (name, address) in targets)
        {
            Cluster.Log($"measuring {name}");
            var latency = await SequentialAsync(address, latencyRequests, ct).ConfigureAwait(false);
            var rps = await ThroughputAsync(address, throughputTime, ct).ConfigureAwait(false);
            if (address == direct)
            {
                directRps = rps;
                directP50 = latency.P50;
            }

            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {rps:F0} | {rps / directRps:P0} | {latency.P50:F3} | {latency.P99:F3} | {latency.P50 - directP50:+0.000;-0.000;0.000} |"));
        }

        Cluster.Log("ready-to-traffic");
        var readyTimes = await ReadyToTrafficAsync(api, ns, readySamples, ct).ConfigureAwait(false);

        Console.WriteLine();
        Console.WriteLine($"Service proxy, {DateTime.Now:yyyy-MM-dd HH:mm}, {Environment.ProcessorCount} cores, load average {Scheduling.SchedulerEndToEndBenchmark.LoadAverage()}");
        Console.WriteLine($"{latencyRequests} sequential requests for latency, {Concurrency} clients for {throughputTime.TotalSeconds:F0} s for throughput; a new connection per request");
        Console.WriteLine("| path | requests/s | of direct | p50 ms | p99 ms | p50 added ms |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
        lines.ForEach(Console.WriteLine);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pod Ready (seen by the API) -> first request through the NodePort it answers: {readyTimes.Count} samples, p50 {readyTimes.P50:F0} ms, max {readyTimes.P99:F0} ms"));
        return 0;
    }

    private static async Task<Measurement> SequentialAsync(IPEndPoint address, int count, CancellationToken ct)
    {
        var ticks = new List<long>(count);
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await GetAsync(address, ct).ConfigureAwait(false);
            ticks.Add(Stopwatch.GetTimestamp() - start);
        }

        return new Measurement(address.ToString(), ticks, wall.Elapsed);
    }

    private static async Task<double> ThroughputAsync(IPEndPoint address, TimeSpan duration, CancellationToken ct)
    {
        var done = 0;
        var wall = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(async _ =>
        {
            while (wall.Elapsed < duration)
            {
                await GetAsync(address, ct).ConfigureAwait(false);
                Interlocked.Increment(ref done);
            }
        })).ConfigureAwait(false);
        return done / wall.Elapsed.TotalSeconds;
    }

    /// <summary>One HTTP/1.0 GET on a new connection, read to the end; returns the body.</summary>
    private static async Task<string> GetAsync(IPEndPoint address, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(address, ct).ConfigureAwait(false);
        await socket.SendAsync(Request, SocketFlags.None, ct).ConfigureAwait(false);
        var buffer = new byte[4096];
        var total = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, ct).ConfigureAwait(false)) > 0)
        {
            total += read;
            if (total == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
        }

        var text = Encoding.ASCII.GetString(buffer, 0, total);
        if (!text.StartsWith("HTTP/1.", StringComparison.Ordinal) || !text.Contains(" 200 ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"unexpected answer from {address}: {text[..Math.Min(200, text.Length)]}");
        }

        var body = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return body < 0 ? "" : text[(body + 4)..].Trim();
    }

    private static async Task UntilAnswersAsync(IPEndPoint address, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await GetAsync(address, ct).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is SocketException or InvalidOperationException && deadline.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// A one-replica service whose pod's readiness is switched by a file: each sample removes it (and waits until the
    /// service refuses), then creates it and measures from the API showing the pod Ready to the first answer.
    /// </summary>
    private static async Task<Measurement> ReadyToTrafficAsync(KubeApi api, string ns, int samples, CancellationToken ct)
    {
        var nodePort = Random.Shared.Next(31000, 32768);
        await api.PostAsync($"/apis/apps/v1/namespaces/{ns}/deployments", Deployment("late", 1), ct).ConfigureAwait(false);
        await api.PostAsync($"/api/v1/namespaces/{ns}/services", Service("late", "late", null, nodePort), ct).ConfigureAwait(false);
        var pod = (await WaitForReadyPodsAsync(api, ns, "late", 1, ct).ConfigureAwait(false))[0];
        var address = new IPEndPoint(IPAddress.Loopback, nodePort);
        await UntilAnswersAsync(address, ct).ConfigureAwait(false);
        var container = (await DockerAsync(["ps", "-q", "--filter", "label=io.grainetes.pod.name=" + pod.Name, "--filter", "label=io.grainetes.container.name=httpd"]).ConfigureAwait(false)).Trim();
        var ticks = new List<long>();
        var wall = Stopwatch.StartNew();
        for (var i = 0; i < samples; i++)
        {
            await DockerAsync(["exec", container, "rm", "-f", "/tmp/ready"]).ConfigureAwait(false);
            while (await AnswersAsync(address, ct).ConfigureAwait(false))
            {
                await Task.Delay(20, ct).ConfigureAwait(false);
            }

            await DockerAsync(["exec", container, "touch", "/tmp/ready"]).ConfigureAwait(false);
            long? readyAt = null;
            long? answeredAt = null;
            var deadline = Stopwatch.StartNew();
            var watchReady = Task.Run(async () =>
            {
                while (deadline.Elapsed < TimeSpan.FromMinutes(2))
                {
                    var json = JsonNode.Parse(await api.GetPathAsync($"/api/v1/namespaces/{ns}/pods/{pod.Name}", ct).ConfigureAwait(false))!;
                    if (IsReady(json))
                    {
                        readyAt = Stopwatch.GetTimestamp();
                        return;
                    }

                    await Task.Delay(5, ct).ConfigureAwait(false);
                }
            }, ct);
            while (deadline.Elapsed < TimeSpan.FromMinutes(2) && !await AnswersAsync(address, ct).ConfigureAwait(false))
            {
                await Task.Delay(5, ct).ConfigureAwait(false);
            }

            answeredAt = Stopwatch.GetTimestamp();
            await watchReady.ConfigureAwait(false);
            if (readyAt is { } r)
            {
                ticks.Add(Math.Max(0, answeredAt.Value - r));
            }
        }

        return new Measurement("ready-to-traffic", ticks, wall.Elapsed);
    }

    private static async Task<bool> AnswersAsync(IPEndPoint address, CancellationToken ct)
    {
        try
        {
            await GetAsync(address, ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            return false;
        }
    }

    private static async Task<List<(string Name, string IP)>> WaitForReadyPodsAsync(KubeApi api, string ns, string app, int count, CancellationToken ct)
    {
        while (true)
        {
            var list = JsonNode.Parse(await api.GetPathAsync($"/api/v1/namespaces/{ns}/pods?labelSelector=app%3D{app}", ct).ConfigureAwait(false))!;
            var ready = list["items"]!.AsArray()
                .Where(p => IsReady(p!) && !string.IsNullOrEmpty((string?)p!["status"]?["podIP"]))
                .Select(p => ((string)p!["metadata"]!["name"]!, (string)p["status"]!["podIP"]!))
                .ToList();
            if (ready.Count >= count)
            {
                return ready;
            }

            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    private static bool IsReady(JsonNode pod) =>
        pod["status"]?["conditions"]?.AsArray().Any(c => (string?)c?["type"] == "Ready" && (string?)c?["status"] == "True") == true;

    private static byte[] Deployment(string name, int replicas) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "Deployment",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = new JsonObject
                {
                    ["terminationGracePeriodSeconds"] = 1,
                    ["containers"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "httpd",
                        ["image"] = PodStartupBenchmark.Image,
                        ["command"] = new JsonArray("/bin/sh", "-c", "mkdir -p /www && hostname > /www/index.html && touch /tmp/ready && exec httpd -f -p 8080 -h /www"),
                        ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["containerPort"] = 8080 }),
                        ["readinessProbe"] = new JsonObject
                        {
                            ["exec"] = new JsonObject { ["command"] = new JsonArray("test", "-f", "/tmp/ready") },
                            ["periodSeconds"] = 1,
                            ["failureThreshold"] = 1,
                        },
                    }),
                },
            },
        },
    }.ToJsonString());

    private static byte[] Service(string name, string app, string? clusterIP, int nodePort)
    {
        var spec = new JsonObject
        {
            ["type"] = "NodePort",
            ["selector"] = new JsonObject { ["app"] = app },
            ["ports"] = new JsonArray(new JsonObject { ["port"] = 80, ["targetPort"] = "http", ["nodePort"] = nodePort }),
        };
        if (clusterIP is not null)
        {
            spec["clusterIP"] = clusterIP;
        }

        return Encoding.UTF8.GetBytes(new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        }.ToJsonString());
    }

    private static async Task<string> DockerAsync(string[] arguments)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        return output;
    }
}
