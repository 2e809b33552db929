using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Benchmarks.Startup;

namespace Grainetes.Benchmarks.Workloads;

/// <summary>
/// One runtime's workload measurements against a fresh cluster: a Deployment of busybox pods whose process exits on
/// SIGTERM, scaled, healed and rolled. Every time runs from just before the request that causes it to the watch line
/// (or runtime poll) that shows it done.
/// </summary>
public sealed class WorkloadRun
{
    private const string Name = "bench";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RuntimePoll = TimeSpan.FromMilliseconds(100);

    private readonly KubeApi _api;
    private readonly string _ns;
    private readonly PodTracker _tracker;
    private readonly IRuntimeProbe _probe;
    private readonly Cluster _cluster;
    private readonly CancellationToken _ct;
    private readonly StringBuilder _report = new();
    private int _revision;

    private WorkloadRun(KubeApi api, string ns, PodTracker tracker, IRuntimeProbe probe, Cluster cluster, CancellationToken ct)
    {
        _api = api;
        _ns = ns;
        _tracker = tracker;
        _probe = probe;
        _cluster = cluster;
        _ct = ct;
    }

    private string DeploymentPath => $"/apis/apps/v1/namespaces/{_ns}/deployments/{Name}";

    public static async Task<string> RunAsync(string runtime, string run, WorkloadSettings settings)
    {
        var ns = $"wl-{run}-{runtime}";
        Cluster.Log($"workloads: --runtime {runtime} (fresh cluster), namespace {ns}, load average {Scheduling.SchedulerEndToEndBenchmark.LoadAverage()}");
        await using var cluster = await Cluster.StartAsync("--runtime", runtime).ConfigureAwait(false);
        cluster.AfterHostStopped = root => PodStartupBenchmark.SweepLeftovers(runtime, ns, root);
        using var api = new KubeApi(cluster.RunningHost.ApiAddress);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(45));
        var ct = timeout.Token;
        await PodStartupBenchmark.WaitForReadyNodeAsync(api, ct).ConfigureAwait(false);
        await api.CreateNamespaceAsync(ns, ct).ConfigureAwait(false);

        IRuntimeProbe probe = runtime == "docker" ? new DockerProbe(ns) : new ProcessProbe(Path.Combine(cluster.Root, "home", "process-runtime"));
        var tracker = new PodTracker();
        var listRv = (string)JsonNode.Parse(await api.GetPathAsync($"/api/v1/namespaces/{ns}/pods", ct).ConfigureAwait(false))!["metadata"]!["resourceVersion"]!;
        await using var watch = await PodWatch.OpenAsync(api, ns, listRv, tracker.OnEvent, ct).ConfigureAwait(false);
        var me = new WorkloadRun(api, ns, tracker, probe, cluster, ct);
        me._report.AppendLine(CultureInfo.InvariantCulture, $"--runtime {runtime} (load average {Scheduling.SchedulerEndToEndBenchmark.LoadAverage()} at the start):");
        try
        {
            await me.MeasureAsync(runtime, settings).ConfigureAwait(false);
        }
        catch (Exception e) when (watch.Failure is not null)
        {
            throw new InvalidOperationException($"the pod watch failed: {watch.Failure.Message}", e);
        }

        me._report.AppendLine(CultureInfo.InvariantCulture, $"  load average at the end: {Scheduling.SchedulerEndToEndBenchmark.LoadAverage()}");
        var report = me._report.ToString().TrimEnd();
        Console.WriteLine(report);
        return report;
    }

    private async Task MeasureAsync(string runtime, WorkloadSettings settings)
    {
        if (runtime == "docker")
        {
            // The daemon's own floor for the same numbers of pods, at the same time and load as the figures below.
            using var floor = new DockerFloor(_ns);
            foreach (var pods in new[] { 19, 30 })
            {
                var took = await floor.MeasureAsync(pods, _ct).ConfigureAwait(false);
                Line($"Docker floor: {pods} pods (pause + app container each) created and started at once through the Engine API in {took.TotalMilliseconds:F0} ms");
            }
        }

        // Warm-up (unmeasured): the first pod pays JIT and, on Docker, the first sandbox's network setup.
        var first = _tracker.When(p => Live(p) == 1 && PodTracker.ReadyCount(p) == 1);
        await _api.PostAsync($"/apis/apps/v1/namespaces/{_ns}/deployments", DeploymentBody(1), _ct).ConfigureAwait(false);
        await first.WaitAsync(StepTimeout, _ct).ConfigureAwait(false);

        await ScaleUpAsync(1, 20).ConfigureAwait(false);
        await ScaleUpAsync(20, 50).ConfigureAwait(false);
        await ScaleToZeroAsync(50).ConfigureAwait(false);

        await ScaleUpAsync(0, settings.KillRepeats, measured: false).ConfigureAwait(false);
        await KillContainersAsync(settings.KillRepeats).ConfigureAwait(false);
        await DeletePodsAsync(settings.KillRepeats, settings.DeleteRepeats).ConfigureAwait(false);

        await ScaleUpAsync(settings.KillRepeats, 10, measured: false).ConfigureAwait(false);
        await RollingUpdateAsync(10).ConfigureAwait(false);
        await ScaleToZeroAsync(10, measured: false).ConfigureAwait(false);

        if (runtime == "process")
        {
            await ScaleUpAsync(0, 100).ConfigureAwait(false);
            await ScaleToZeroAsync(100).ConfigureAwait(false);
        }

        await _api.DeletePathAsync(DeploymentPath, _ct).ConfigureAwait(false);
    }

    private async Task ScaleUpAsync(int from, int to, bool measured = true)
    {
        Cluster.Log($"scale {from} -> {to}");
        var cpu = Cpu();
        var ready = _tracker.When(p => Live(p) == to && PodTracker.ReadyCount(p) == to);
        var start = Stopwatch.GetTimestamp();
        await ScaleAsync(to).ConfigureAwait(false);
        var done = await ready.WaitAsync(StepTimeout, _ct).ConfigureAwait(false);
        if (measured)
        {
            Line($"scale {from} -> {to}: all Ready after {Ms(done - start):F0} ms; {CpuLine(cpu)}");
            Line("  " + Timeline(_tracker.Snapshot().Where(p => p.FirstSeen >= start).ToList(), start));
        }
    }

    private async Task ScaleToZeroAsync(int from, bool measured = true)
    {
        Cluster.Log($"scale {from} -> 0");
        var cpu = Cpu();
        var gone = _tracker.When(p => p.Count == 0);
        var start = Stopwatch.GetTimestamp();
        await ScaleAsync(0).ConfigureAwait(false);
        var apiGone = await gone.WaitAsync(StepTimeout, _ct).ConfigureAwait(false);
        var runtimeGone = await RuntimeEmptyAsync().ConfigureAwait(false);
        if (measured)
        {
            Line($"scale {from} -> 0: every pod gone from the API after {Ms(apiGone - start):F0} ms, every container/process gone after {Ms(runtimeGone - start):F0} ms; {CpuLine(cpu)}");
        }
    }

    private async Task<long> RuntimeEmptyAsync()
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(StepTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var count = await _probe.CountAsync(_ct).ConfigureAwait(false);
            var at = Stopwatch.GetTimestamp();
            if (count == 0)
            {
                return at;
            }

            if (at > deadline)
            {
                throw new TimeoutException($"{count} containers/processes still there after {StepTimeout.TotalSeconds} s");
            }

            await Task.Delay(RuntimePoll, _ct).ConfigureAwait(false);
        }
    }

    /// <summary>Kills one app container per pod (a different pod each time, so no back-off builds up) and waits for it to be Ready again.</summary>
    private async Task KillContainersAsync(int repeats)
    {
        Cluster.Log($"{repeats} killed containers");
        var noticed = new List<long>();
        var back = new List<long>();
        var total = new List<long>();
        foreach (var pod in _tracker.Snapshot().Where(p => p.Live && p.Ready).OrderBy(p => p.Name, StringComparer.Ordinal).Take(repeats).ToList())
        {
            // The kubelet's first report after the kill: NotReady, or (when it restarted the container within the
            // same sync) already Ready with one more restart.
            var notReady = _tracker.When(p => p.Any(x => x.Name == pod.Name && (!x.Ready || x.Restarts > pod.Restarts)));
            var readyAgain = _tracker.When(p => p.Any(x => x.Name == pod.Name && x.Ready && x.Restarts > pod.Restarts));
            var start = Stopwatch.GetTimestamp();
            await _probe.KillAppContainerAsync(pod.Name, _ct).ConfigureAwait(false);
            var seen = await notReady.WaitAsync(StepTimeout, _ct).ConfigureAwait(false);
            var done = await readyAgain.WaitAsync(StepTimeout, _ct).ConfigureAwait(false);
            noticed.Add(seen - start);
            back.Add(done - seen);
            total.Add(done - start);
        }

        var n = new Measurement("noticed", noticed, TimeSpan.Zero);
        var b = new Measurement("back", back, TimeSpan.Zero);
        var t = new Measurement("total", total, TimeSpan.Zero);
        Line($"killed container (SIGKILL), {t.Count} pods: kill -> first status change (noticed) p50 {n.P50:F0} / max {n.Max:F0} ms; noticed -> Ready again p50 {b.P50:F0} / max {b.Max:F0} ms; kill -> Ready with a restart p50 {t.P50:F0} / max {t.Max:F0} ms");
    }

    /// <summary>Deletes a Ready pod, one at a time, and times its replacement's creation and readiness.</summary>
    private async Task DeletePodsAsync(int replicas, int repeats)
    {
        Cluster.Log($"{repeats} deleted pods");
        var created = new List<long>();
        var ready = new List<long>();
        for (var i = 0; i < repeats; i++)
        {
            var before = _tracker.Snapshot();
            var known = before.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var victim = before.Where(p => p.Live && p.Ready).OrderBy(p => p.FirstSeen).First();
            var replacement = _tracker.When(p => p.Any(x => !known.Contains(x.Name)));
            var replacementReady = _tracker.When(p => p.Any(x => !known.Contains(x.Name) && x.Ready));
            var settled = _tracker.When(p => p.All(x => x.Name != victim.Name) && Live(p) == replicas && PodTracker.ReadyCount(p) == replicas);
            var start = Stopwatch.GetTimestamp();
            await _api.DeletePathAsync($"/api/v1/namespaces/{_ns}/pods/{victim.Name}", _ct).ConfigureAwait(false);
            created.Add(await replacement.WaitAsync(StepTimeout, _ct).ConfigureAwait(false) - start);
            ready.Add(await replacementReady.WaitAsync(StepTimeout, _ct).ConfigureAwait(false) - start);
            await settled.WaitAsync(StepTimeout, _ct).ConfigureAwait(false);
        }

        var c = new Measurement("created", created, TimeSpan.Zero);
        var r = new Measurement("ready", ready, TimeSpan.Zero);
        Line($"deleted pod, {c.Count} times: deletion -> replacement created p50 {c.P50:F0} / p99 {c.P99:F0} / max {c.Max:F0} ms; deletion -> replacement Ready p50 {r.P50:F0} / p99 {r.P99:F0} ms");
    }

    private async Task RollingUpdateAsync(int replicas)
    {
        Cluster.Log($"rolling update of {replicas}");
        var cpu = Cpu();
        var revision = (++_revision).ToString(CultureInfo.InvariantCulture);
        var done = _tracker.When(p => p.Count == replicas && p.All(x => x.Live && x.Ready && x.Revision == revision));
        var start = Stopwatch.GetTimestamp();
        var patch = new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [TrackedPod.RevisionAnnotation] = revision } },
                },
            },
        };
        await _api.MergePatchPathAsync(DeploymentPath, Encoding.UTF8.GetBytes(patch.ToJsonString()), _ct).ConfigureAwait(false);
        var end = await done.WaitAsync(StepTimeout, _ct).ConfigureAwait(false);
        Line($"rolling update of {replicas} (maxSurge 25 %, maxUnavailable 25 %): template changed -> all {replicas} new pods Ready and every old pod gone after {Ms(end - start):F0} ms; {CpuLine(cpu)}");
    }

    /// <summary>Where the time of a scale-up went: when the new pods were created, bound and Ready, and each pod's bound -> Ready.</summary>
    private static string Timeline(IReadOnlyList<TrackedPod> pods, long start)
    {
        if (pods.Count == 0)
        {
            return "no new pods seen";
        }

        var toReady = new Measurement("bound -> Ready", pods.Select(p => p.ReadyAt - p.BoundAt).ToList(), TimeSpan.Zero);
        return string.Create(CultureInfo.InvariantCulture,
            $"{pods.Count} new pods: first created at {Ms(pods.Min(p => p.FirstSeen) - start):F0} ms, last created at {Ms(pods.Max(p => p.FirstSeen) - start):F0} ms, " +
            $"last bound at {Ms(pods.Max(p => p.BoundAt) - start):F0} ms, first Ready at {Ms(pods.Min(p => p.ReadyAt) - start):F0} ms; " +
            $"per pod bound -> Ready p50 {toReady.P50:F0} / max {toReady.Max:F0} ms");
    }

    private Task ScaleAsync(int replicas) => _api.MergePatchPathAsync(
        DeploymentPath + "/scale",
        Encoding.UTF8.GetBytes(new JsonObject { ["spec"] = new JsonObject { ["replicas"] = replicas } }.ToJsonString()),
        _ct);

    private static int Live(IReadOnlyCollection<TrackedPod> pods) => pods.Count(p => p.Live);

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private void Line(string line)
    {
        Cluster.Log(line);
        _report.AppendLine("  " + line);
    }

    private (CpuUse Cluster, double Docker, long At) Cpu() => (_cluster.Cpu(), DockerDaemons.CpuSeconds(), Stopwatch.GetTimestamp());

    private string CpuLine((CpuUse Cluster, double Docker, long At) before)
    {
        var used = _cluster.Cpu() - before.Cluster;
        var docker = DockerDaemons.CpuSeconds() - before.Docker;
        var seconds = Ms(Stopwatch.GetTimestamp() - before.At) / 1000;
        return string.Create(CultureInfo.InvariantCulture,
            $"CPU over the step: host {used.HostSeconds:F1} s, Azurite {used.AzuriteSeconds:F1} s, dockerd+containerd {docker:F1} s in {seconds:F1} s");
    }

    private byte[] DeploymentBody(int replicas) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "Deployment",
        ["metadata"] = new JsonObject { ["name"] = Name },
        ["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = Name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["labels"] = new JsonObject { ["app"] = Name },
                    ["annotations"] = new JsonObject { [TrackedPod.RevisionAnnotation] = _revision.ToString(CultureInfo.InvariantCulture) },
                },
                ["spec"] = new JsonObject
                {
                    ["containers"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "main",
                        ["image"] = PodStartupBenchmark.Image,
                        ["imagePullPolicy"] = "IfNotPresent",
                        // Stops at once on SIGTERM (the trap runs as soon as `wait` is interrupted).
                        ["command"] = new JsonArray("sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"),
                    }),
                },
            },
        },
    }.ToJsonString());
}
