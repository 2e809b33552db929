using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Benchmarks.Scheduling;

/// <summary>
/// The scheduler end to end through the HTTP API, on a fresh cluster per configuration: simulated nodes (Node
/// objects with capacity and Ready=True, labelled <c>sim=true</c>; no kubelet behind them), then pods that select
/// <c>sim: "true"</c> created from 16 closed-loop client tasks as fast as they go. A watch on the pods, opened
/// before the first create, stamps the MODIFIED event that first shows each pod's <c>spec.nodeName</c>.
/// The host runs with <c>--node-monitor-grace-period 1h</c>, so the simulated nodes need no lease renewals.
/// </summary>
public static class SchedulerEndToEndBenchmark
{
    private const int Concurrency = 16;
    private const int WarmupPods = 20;
    private static readonly TimeSpan BindTimeout = TimeSpan.FromMinutes(4);

    public sealed record Config(int Nodes, int Pods);

    public static async Task<int> RunAsync(IReadOnlyList<Config> configs)
    {
        var failures = 0;
        var results = new List<string>();
        foreach (var config in configs)
        {
            try
            {
                results.Add(await RunOneAsync(config).ConfigureAwait(false));
            }
            catch (Exception e)
            {
                failures++;
                Console.Error.WriteLine($"scheduler {config.Nodes} nodes / {config.Pods} pods failed: {e}");
                results.Add($"{config.Nodes} nodes / {config.Pods} pods: FAILED ({e.Message})");
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Scheduler end to end, {DateTime.Now:yyyy-MM-dd HH:mm}, {Environment.ProcessorCount} cores, load average {LoadAverage()}");
        foreach (var r in results)
        {
            Console.WriteLine(r);
        }

        return failures == 0 ? 0 : 1;
    }

    private static async Task<string> RunOneAsync(Config config)
    {
        Cluster.Log($"scheduler: {config.Nodes} nodes, {config.Pods} pods (fresh cluster)");
        await using var cluster = await Cluster.StartAsync("--runtime", "process", "--node-monitor-grace-period", "1h").ConfigureAwait(false);
        using var api = new KubeApi(cluster.RunningHost.ApiAddress);
        using var setup = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var ct = setup.Token;

        // Nodes, 16 at a time.
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var nodeNames = Enumerable.Range(0, config.Nodes).Select(i => $"sim-{i:D5}").ToArray();
        var nodeCreate = await LoadRunner.ConcurrentAsync("create node", nodeNames.Length, Concurrency, async (i, c) =>
        {
            var created = await api.PostAsync("/api/v1/nodes", NodeBody(nodeNames[i], now), c).ConfigureAwait(false);
            // Kubernetes keeps a node's status on create (the kubelet registers that way); patch it in if not.
            if (JsonNode.Parse(created)?["status"]?["allocatable"] is null)
            {
                await api.MergePatchPathAsync($"/api/v1/nodes/{nodeNames[i]}/status", StatusPatch(now), c).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        Cluster.Log($"{config.Nodes} nodes created in {nodeCreate.Elapsed.TotalSeconds:F1} s ({nodeCreate.OpsPerSecond:F0}/s)");

        // Warm-up in its own namespace: JIT, the scheduler's node cache and the pods' write path, unmeasured.
        await api.CreateNamespaceAsync("warm", ct).ConfigureAwait(false);
        await RunPodsAsync(api, "warm", WarmupPods, config.Nodes, ct, cpu: null).ConfigureAwait(false);

        // Background cost of the cluster alone (node lifecycle checks, lease reads, timers), before the measured pods.
        var idleBefore = cluster.Cpu();
        var idleWatch = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        var idle = cluster.Cpu() - idleBefore;
        var idleSeconds = idleWatch.Elapsed.TotalSeconds;

        await api.CreateNamespaceAsync("sched", ct).ConfigureAwait(false);
        var run = await RunPodsAsync(api, "sched", config.Pods, config.Nodes, ct, cluster.Cpu).ConfigureAwait(false);

        var events = JsonNode.Parse(await api.GetPathAsync("/api/v1/namespaces/sched/events", ct).ConfigureAwait(false))!["items"]!.AsArray().Count;
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"{config.Nodes} nodes / {config.Pods} pods ({Concurrency} client tasks):");
        report.AppendLine(CultureInfo.InvariantCulture, $"  bound {run.Bound}/{config.Pods}{(run.TimedOut ? $" (TIMED OUT after {BindTimeout.TotalSeconds:F0} s)" : "")}");
        report.AppendLine(CultureInfo.InvariantCulture, $"  pods bound per second (first create start to last bind): {run.BindRate:F1}  [target >= 300/s at 1,000 nodes]");
        report.AppendLine(CultureInfo.InvariantCulture, $"  creates answered per second (first create start to last create answer): {run.CreateRate:F1}; create latency p50 {run.CreateP50:F1} ms, p99 {run.CreateP99:F1} ms");
        report.AppendLine(CultureInfo.InvariantCulture, $"  create request start -> MODIFIED with spec.nodeName: p50 {run.P50:F0} ms, p90 {run.P90:F0} ms, p99 {run.P99:F0} ms, max {run.Max:F0} ms  [target p99 <= 1 s]");
        report.AppendLine(CultureInfo.InvariantCulture, $"  create answer -> MODIFIED with spec.nodeName (the scheduler's share; 0 when the event came first): p50 {run.AnswerP50:F0} ms, p99 {run.AnswerP99:F0} ms");
        report.AppendLine(CultureInfo.InvariantCulture, $"  spread: min {run.MinPerNode} / max {run.MaxPerNode} pods per node over {config.Nodes} nodes (mean {(double)run.Bound / config.Nodes:F1})  [target within +-1 of the mean]");
        report.AppendLine(CultureInfo.InvariantCulture, $"  pod writes (resourceVersion delta of pods): {run.PodWrites} = {(double)run.PodWrites / config.Pods:F2} per pod; watch events seen {run.Events}; Scheduled/other events in namespace {events}");
        report.AppendLine(CultureInfo.InvariantCulture, $"  CPU over the phase: host {run.Cpu.HostSeconds:F1} s ({run.Cpu.HostSeconds * 1000 / config.Pods:F2} ms/pod, {run.Cpu.HostSeconds / run.Elapsed.TotalSeconds * 100:F0} % of a core), Azurite {run.Cpu.AzuriteSeconds:F1} s ({run.Cpu.AzuriteSeconds * 1000 / config.Pods:F2} ms/pod, {run.Cpu.AzuriteSeconds / run.Elapsed.TotalSeconds * 100:F0} % of a core), phase {run.Elapsed.TotalSeconds:F1} s");
        report.AppendLine(CultureInfo.InvariantCulture, $"  background before the pods (10 s, {config.Nodes} nodes, no pods moving): host {idle.HostSeconds / idleSeconds * 100:F0} % of a core, Azurite {idle.AzuriteSeconds / idleSeconds * 100:F0} % of a core; load average {LoadAverage()}");
        Console.Write(report);
        return report.ToString().TrimEnd();
    }

    private sealed record PodRun(
        int Bound, bool TimedOut, double BindRate, double CreateRate, double CreateP50, double CreateP99,
        double P50, double P90, double P99, double Max, double AnswerP50, double AnswerP99, int MinPerNode, int MaxPerNode, long PodWrites, int Events,
        CpuUse Cpu, TimeSpan Elapsed);

    private static async Task<PodRun> RunPodsAsync(KubeApi api, string ns, int count, int nodeCount, CancellationToken ct, Func<CpuUse>? cpu)
    {
        var bodies = Enumerable.Range(0, count).Select(i => PodBody($"p-{i:D5}")).ToArray();
        var createStart = new long[count];
        var createEnd = new long[count];
        var bindAt = new long[count];
        var nodeOf = new string?[count];
        var bound = 0;
        var events = 0;
        var allBound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var listRv = (string)JsonNode.Parse(await api.GetPathAsync($"/api/v1/namespaces/{ns}/pods", ct).ConfigureAwait(false))!["metadata"]!["resourceVersion"]!;
        await using var watch = await PodWatch.OpenAsync(api, ns, listRv, (type, pod, at) =>
        {
            events++;
            if (type is not ("ADDED" or "MODIFIED"))
            {
                return;
            }

            var node = PodWatch.NodeName(pod);
            if (node.Length == 0)
            {
                return;
            }

            var name = PodWatch.Name(pod);
            if (name.Length == 7 && int.TryParse(name.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < count && nodeOf[i] is null)
            {
                nodeOf[i] = node;
                bindAt[i] = at;
                if (++bound == count)
                {
                    allBound.TrySetResult();
                }
            }
        }, ct).ConfigureAwait(false);

        var cpuBefore = cpu?.Invoke();
        var firstStart = Stopwatch.GetTimestamp();
        long lastCreateEnd = 0;
        var creates = await LoadRunner.ConcurrentAsync($"create pods in {ns}", count, Concurrency, async (i, c) =>
        {
            createStart[i] = Stopwatch.GetTimestamp();
            await api.PostAsync($"/api/v1/namespaces/{ns}/pods", bodies[i], c).ConfigureAwait(false);
            var end = Stopwatch.GetTimestamp();
            createEnd[i] = end;
            long seen;
            while ((seen = Interlocked.Read(ref lastCreateEnd)) < end && Interlocked.CompareExchange(ref lastCreateEnd, end, seen) != seen)
            {
            }
        }).ConfigureAwait(false);

        var timedOut = false;
        try
        {
            await allBound.Task.WaitAsync(BindTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            timedOut = true;
        }

        if (watch.Failure is { } failure)
        {
            throw new InvalidOperationException("the pod watch failed", failure);
        }

        var cpuUsed = cpu is null ? new CpuUse(0, 0) : cpu() - cpuBefore!;
        var boundIdx = Enumerable.Range(0, count).Where(i => nodeOf[i] is not null).ToArray();
        var lastBind = boundIdx.Length == 0 ? firstStart : boundIdx.Max(i => bindAt[i]);
        var elapsed = Stopwatch.GetElapsedTime(firstStart, lastBind);
        var latencies = new Measurement("create->bind", boundIdx.Select(i => bindAt[i] - createStart[i]).ToArray(), elapsed);
        var afterAnswer = new Measurement("answer->bind", boundIdx.Select(i => Math.Max(0, bindAt[i] - createEnd[i])).ToArray(), elapsed);
        var perNode = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var i in boundIdx)
        {
            perNode[nodeOf[i]!] = perNode.GetValueOrDefault(nodeOf[i]!) + 1;
        }

        var min = perNode.Count < nodeCount ? 0 : perNode.Values.Min();
        var max = perNode.Count == 0 ? 0 : perNode.Values.Max();
        var endRv = (string)JsonNode.Parse(await api.GetPathAsync($"/api/v1/namespaces/{ns}/pods?limit=1", ct).ConfigureAwait(false))!["metadata"]!["resourceVersion"]!;
        var writes = long.Parse(endRv, CultureInfo.InvariantCulture) - long.Parse(listRv, CultureInfo.InvariantCulture);
        var createElapsed = Stopwatch.GetElapsedTime(firstStart, Interlocked.Read(ref lastCreateEnd));
        Cluster.Log($"{ns}: {boundIdx.Length}/{count} bound in {elapsed.TotalSeconds:F1} s; creates took {createElapsed.TotalSeconds:F1} s");
        return new PodRun(
            boundIdx.Length, timedOut, boundIdx.Length / elapsed.TotalSeconds, count / createElapsed.TotalSeconds, creates.P50, creates.P99,
            latencies.P50, latencies.P90, latencies.P99, latencies.Max, afterAnswer.P50, afterAnswer.P99, min, max, writes, events, cpuUsed, elapsed);
    }

    private static byte[] NodeBody(string name, string now) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Node",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = name, ["sim"] = "true" },
        },
        ["status"] = Status(now),
    }.ToJsonString());

    private static byte[] StatusPatch(string now) => Encoding.UTF8.GetBytes(new JsonObject { ["status"] = Status(now) }.ToJsonString());

    private static JsonObject Status(string now) => new()
    {
        ["capacity"] = new JsonObject { ["cpu"] = "4", ["memory"] = "16Gi", ["pods"] = "110" },
        ["allocatable"] = new JsonObject { ["cpu"] = "4", ["memory"] = "16Gi", ["pods"] = "110" },
        ["conditions"] = new JsonArray(new JsonObject
        {
            ["type"] = "Ready",
            ["status"] = "True",
            ["reason"] = "KubeletReady",
            ["lastHeartbeatTime"] = now,
            ["lastTransitionTime"] = now,
        }),
    };

    private static byte[] PodBody(string name) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = "sched-bench" } },
        ["spec"] = new JsonObject
        {
            ["nodeSelector"] = new JsonObject { ["sim"] = "true" },
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "c",
                ["image"] = "grainetes/busybox:test",
                ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "64Mi" } },
            }),
        },
    }.ToJsonString());

    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
