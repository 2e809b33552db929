using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Benchmarks.Startup;

/// <summary>
/// Pod startup: from the start of a one-container pod's create request to the watch's MODIFIED event whose status
/// has Ready=True, on a fresh cluster per runtime (process, and Docker when a daemon answers), beside a bare
/// <c>docker run -d</c> of the same image in the same run. 50 sequential pods (each created after the previous
/// one is Ready), then 10 created at once.
/// </summary>
public static class PodStartupBenchmark
{
    public const string Image = "grainetes/busybox:test";
    private const int BareSamples = 20;
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan GoneTimeout = TimeSpan.FromSeconds(120);

    public static async Task<int> RunAsync(IReadOnlyList<string> runtimes, int sequential, int parallel)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var lines = new List<string>();
        var failures = 0;
        var docker = await DockerAnswersAsync().ConfigureAwait(false);
        Cluster.Log(docker ? "Docker daemon answers" : "no Docker daemon: bare docker run and --runtime docker skipped");

        if (docker)
        {
            try
            {
                lines.Add(await BareDockerAsync(run).ConfigureAwait(false));
            }
            catch (Exception e)
            {
                failures++;
                Console.Error.WriteLine($"bare docker run failed: {e}");
                lines.Add($"bare docker run: FAILED ({e.Message})");
            }
        }

        if (runtimes.Contains("process"))
        {
            lines.Add(await BareProcessAsync().ConfigureAwait(false));
        }

        foreach (var runtime in runtimes)
        {
            if (runtime == "docker")
            {
                if (!docker)
                {
                    lines.Add("--runtime docker: skipped, no Docker daemon");
                    continue;
                }

                var foreign = await ForeignGrainetesContainersAsync().ConfigureAwait(false);
                if (foreign.Count > 0)
                {
                    // A Docker-runtime node agent removes at start every app container labelled io.grainetes.managed
                    // whose pod its own store lacks: on a shared daemon that would be another cluster's containers.
                    lines.Add($"--runtime docker: SKIPPED, the daemon runs {foreign.Count} Grainetes container(s) of other clusters ({string.Join(", ", foreign)}) that our node agent would remove at start");
                    continue;
                }
            }

            try
            {
                lines.Add(await RunRuntimeAsync(runtime, run, sequential, parallel).ConfigureAwait(false));
            }
            catch (Exception e)
            {
                failures++;
                Console.Error.WriteLine($"--runtime {runtime} failed: {e}");
                lines.Add($"--runtime {runtime}: FAILED ({e.Message})");
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Pod startup, {DateTime.Now:yyyy-MM-dd HH:mm}, {Environment.ProcessorCount} cores, load average {Scheduling.SchedulerEndToEndBenchmark.LoadAverage()}");
        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }

        return failures == 0 ? 0 : 1;
    }

    private static async Task<string> RunRuntimeAsync(string runtime, string run, int sequential, int parallel)
    {
        var ns = $"startup-{run}-{runtime}";
        Cluster.Log($"podstartup: --runtime {runtime} (fresh cluster), namespace {ns}");
        await using var cluster = await Cluster.StartAsync("--runtime", runtime).ConfigureAwait(false);
        cluster.AfterHostStopped = root => SweepLeftovers(runtime, ns, root);
        using var api = new KubeApi(cluster.RunningHost.ApiAddress);
        using var setup = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var ct = setup.Token;

        await WaitForReadyNodeAsync(api, ct).ConfigureAwait(false);
        await api.CreateNamespaceAsync(ns, ct).ConfigureAwait(false);

        var ready = new ConcurrentDictionary<string, TaskCompletionSource<long>>(StringComparer.Ordinal);
        TaskCompletionSource<long> Ready(string name) =>
            ready.GetOrAdd(name, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        var listRv = (string)JsonNode.Parse(await api.GetPathAsync($"/api/v1/namespaces/{ns}/pods", ct).ConfigureAwait(false))!["metadata"]!["resourceVersion"]!;
        var names = new ConcurrentQueue<string>();
        string report;
        await using (var watch = await PodWatch.OpenAsync(api, ns, listRv, (type, pod, at) =>
        {
            if (type == "MODIFIED" && PodWatch.IsReady(pod))
            {
                Ready(PodWatch.Name(pod)).TrySetResult(at);
            }
        }, ct).ConfigureAwait(false))
        {
            async Task<long> CreateAndWaitAsync(string name)
            {
                names.Enqueue(name);
                var start = Stopwatch.GetTimestamp();
                await api.PostAsync($"/api/v1/namespaces/{ns}/pods", PodBody(name), ct).ConfigureAwait(false);
                try
                {
                    return await Ready(name).Task.WaitAsync(ReadyTimeout, ct).ConfigureAwait(false) - start;
                }
                catch (TimeoutException)
                {
                    var pod = Encoding.UTF8.GetString(await api.GetPathAsync($"/api/v1/namespaces/{ns}/pods/{name}", ct).ConfigureAwait(false));
                    throw new TimeoutException($"{name} not Ready within {ReadyTimeout.TotalSeconds} s (watch failure: {watch.Failure?.Message ?? "none"}); pod: {pod[..Math.Min(pod.Length, 1500)]}");
                }
            }

            // Warm-up (unmeasured): the first pod pays JIT and, on Docker, the first sandbox's network setup.
            for (var i = 0; i < 2; i++)
            {
                await CreateAndWaitAsync($"w-{i}").ConfigureAwait(false);
            }

            Cluster.Log($"{sequential} sequential pods");
            var seqTicks = new List<long>();
            var seqWall = Stopwatch.StartNew();
            for (var i = 0; i < sequential; i++)
            {
                seqTicks.Add(await CreateAndWaitAsync($"s-{i:D3}").ConfigureAwait(false));
            }

            var seq = new Measurement("sequential", seqTicks, seqWall.Elapsed);

            Cluster.Log($"{parallel} pods at once");
            var parWall = Stopwatch.StartNew();
            var parTicks = await Task.WhenAll(Enumerable.Range(0, parallel).Select(i => Task.Run(() => CreateAndWaitAsync($"q-{i:D3}"))))
                .ConfigureAwait(false);
            var allReady = parWall.Elapsed;
            var par = new Measurement("parallel", parTicks, allReady);

            report = string.Create(CultureInfo.InvariantCulture,
                $"--runtime {runtime}: create -> Ready over {seq.Count} sequential pods: p50 {seq.P50:F0} ms, p90 {seq.P90:F0} ms, p99 {seq.P99:F0} ms, max {seq.Max:F0} ms\n" +
                $"--runtime {runtime}: {parallel} pods created at once: all Ready after {allReady.TotalMilliseconds:F0} ms (per pod p50 {par.P50:F0} ms, max {par.Max:F0} ms)");
            Console.WriteLine(report);
        }

        // Clean up: delete every pod (1 s grace; busybox sleep as PID 1 ignores SIGTERM) and wait until they are gone.
        Cluster.Log($"deleting {names.Count} pods");
        await Task.WhenAll(names.Select(n => api.DeletePathAsync($"/api/v1/namespaces/{ns}/pods/{n}?gracePeriodSeconds=1", ct))).ConfigureAwait(false);
        var gone = Stopwatch.StartNew();
        int left;
        while ((left = JsonNode.Parse(await api.GetPathAsync($"/api/v1/namespaces/{ns}/pods", ct).ConfigureAwait(false))!["items"]!.AsArray().Count) > 0
               && gone.Elapsed < GoneTimeout)
        {
            await Task.Delay(500, ct).ConfigureAwait(false);
        }

        Cluster.Log(left == 0 ? $"all pods gone after {gone.Elapsed.TotalSeconds:F1} s" : $"{left} pods still there after {GoneTimeout.TotalSeconds} s");
        return report;
    }

    internal static async Task WaitForReadyNodeAsync(KubeApi api, CancellationToken ct)
    {
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < TimeSpan.FromSeconds(90))
        {
            var nodes = JsonNode.Parse(await api.GetPathAsync("/api/v1/nodes", ct).ConfigureAwait(false))!["items"]!.AsArray();
            if (nodes.Any(n => (n?["status"]?["conditions"] as JsonArray)?.Any(c => (string?)c?["type"] == "Ready" && (string?)c?["status"] == "True") == true))
            {
                return;
            }

            await Task.Delay(500, ct).ConfigureAwait(false);
        }

        throw new TimeoutException("the host's node was not Ready within 90 s");
    }

    private static byte[] PodBody(string name) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["terminationGracePeriodSeconds"] = 1,
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "main",
                ["image"] = Image,
                ["imagePullPolicy"] = "IfNotPresent",
                ["command"] = new JsonArray("sleep", "3600"),
            }),
        },
    }.ToJsonString());

    private static async Task<string> BareDockerAsync(string run)
    {
        Cluster.Log($"bare docker run -d --rm {Image} sleep 3600, {BareSamples} sequential samples");
        var label = $"io.grainetes.bench={run}";
        var ids = new List<string>();
        var ticks = new List<long>();
        try
        {
            // One unmeasured run first, as for the pods.
            ids.Add(await DockerAsync(["run", "-d", "--rm", "--label", label, Image, "sleep", "3600"]).ConfigureAwait(false));
            for (var i = 0; i < BareSamples; i++)
            {
                var start = Stopwatch.GetTimestamp();
                ids.Add(await DockerAsync(["run", "-d", "--rm", "--label", label, Image, "sleep", "3600"]).ConfigureAwait(false));
                ticks.Add(Stopwatch.GetTimestamp() - start);
            }
        }
        finally
        {
            // `docker run -d` prints full ids and `ps -q` short ones: compare by the short form.
            var listed = await DockerAsync(["ps", "-aq", "--filter", "label=" + label]).ConfigureAwait(false);
            var all = ids.Concat(listed.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Select(id => id[..Math.Min(12, id.Length)]).Distinct().ToList();
            if (all.Count > 0)
            {
                try
                {
                    await DockerAsync(["rm", "-f", .. all]).ConfigureAwait(false);
                }
                catch (InvalidOperationException e)
                {
                    // --rm containers may be removing themselves already; what matters is that none is left.
                    Console.Error.WriteLine("docker rm -f: " + e.Message.Split('\n')[0]);
                }
            }

            for (var wait = 0; wait < 150 && (await DockerAsync(["ps", "-aq", "--filter", "label=" + label]).ConfigureAwait(false)).Length > 0; wait++)
            {
                await Task.Delay(200).ConfigureAwait(false);
            }
        }

        var m = new Measurement("bare", ticks, TimeSpan.Zero);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"bare `docker run -d --rm {Image} sleep 3600` until it returns, {m.Count} sequential: p50 {m.P50:F0} ms, p90 {m.P90:F0} ms, p99 {m.P99:F0} ms, max {m.Max:F0} ms");
        Console.WriteLine(line);
        return line;
    }

    /// <summary>The process runtime's floor: starting <c>sleep 3600</c> as a child process (until Start returns), 20 samples.</summary>
    private static async Task<string> BareProcessAsync()
    {
        var ticks = new List<long>();
        var children = new List<Process>();
        try
        {
            for (var i = 0; i <= BareSamples; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var child = Process.Start(new ProcessStartInfo("sleep", "3600") { UseShellExecute = false })!;
                var elapsed = Stopwatch.GetTimestamp() - start;
                children.Add(child);
                if (i > 0)
                {
                    ticks.Add(elapsed);
                }
            }
        }
        finally
        {
            foreach (var child in children)
            {
                child.Kill();
                await child.WaitForExitAsync().ConfigureAwait(false);
                child.Dispose();
            }
        }

        var m = new Measurement("bare process", ticks, TimeSpan.Zero);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"bare Process.Start(\"sleep 3600\") until it returns, {m.Count} sequential: p50 {m.P50:F1} ms, p99 {m.P99:F1} ms");
        Console.WriteLine(line);
        return line;
    }

    internal static async Task<bool> DockerAnswersAsync()
    {
        try
        {
            return (await DockerAsync(["info", "--format", "{{.ServerVersion}}"]).ConfigureAwait(false)).Length > 0;
        }
        catch (Exception)
        {
            return false;
        }
    }

    private static async Task<List<string>> ForeignGrainetesContainersAsync()
    {
        var output = await DockerAsync(["ps", "-a", "--filter", "label=io.grainetes.managed=true", "--format", "{{.Names}}\t{{.Label \"io.grainetes.sandbox\"}}"]).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Where(f => f.Length < 2 || f[1].Trim() != "true")
            .Select(f => f[0])
            .ToList();
    }

    /// <summary>After the host stopped: containers of our namespace, or processes under our directory, that outlived it.</summary>
    internal static void SweepLeftovers(string runtime, string ns, string root)
    {
        if (runtime == "docker")
        {
            var ids = DockerAsync(["ps", "-aq", "--filter", "label=io.grainetes.pod.namespace=" + ns]).GetAwaiter().GetResult()
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (ids.Length > 0)
            {
                Cluster.Log($"removing {ids.Length} leftover containers of {ns}");
                DockerAsync(["rm", "-f", .. ids]).GetAwaiter().GetResult();
            }

            return;
        }

        var own = Environment.ProcessId;
        var ownGroup = ProcessGroup(own);
        var groups = new HashSet<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == own)
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                var cwd = new FileInfo(Path.Combine(dir, "cwd")).LinkTarget ?? "";
                if (cmdline.Contains(root, StringComparison.Ordinal) || cwd.StartsWith(root, StringComparison.Ordinal))
                {
                    groups.Add(ProcessGroup(pid));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        groups.Remove(ownGroup);
        foreach (var group in groups)
        {
            Cluster.Log($"killing leftover process group {group} under {root}");
            Signals.KillGroup(group);
        }
    }

    private static int ProcessGroup(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[2], CultureInfo.InvariantCulture);
    }

    internal static async Task<string> DockerAsync(string[] args)
    {
        var info = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"docker {string.Join(' ', args)} took over 60 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} exited {process.ExitCode}: {await stderr.ConfigureAwait(false)}");
        }

        return (await stdout.ConfigureAwait(false)).Trim();
    }
}
