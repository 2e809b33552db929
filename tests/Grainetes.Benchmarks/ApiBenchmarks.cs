using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Benchmarks;

/// <summary>The API phases: creates (sequential and concurrent), GETs, LISTs of a full namespace, watch delay, deletes.</summary>
public sealed class ApiBenchmarks(KubeApi api, BenchmarkOptions options)
{
    private const int PayloadLength = 1000;
    private static readonly TimeSpan WatchEventTimeout = TimeSpan.FromSeconds(10);

    private readonly string _run = Guid.NewGuid().ToString("N")[..6];

    public async Task<ApiResults> RunAsync()
    {
        using var setup = new CancellationTokenSource(LoadRunner.PhaseTimeout);
        var ct = setup.Token;

        Log("warm-up");
        await WarmUpAsync(ct).ConfigureAwait(false);

        var ns = $"bench-{_run}";
        await api.CreateNamespaceAsync(ns, ct).ConfigureAwait(false);

        // Bodies are built before timing so that only the HTTP call is measured.
        var names = Enumerable.Range(0, options.SequentialCreates).Select(i => $"cm-{i:D5}").ToArray();
        var bodies = names.Select(n => KubeApi.ConfigMapBody(n, Payload.Text(PayloadLength))).ToArray();
        Log($"a. {names.Length} sequential creates");
        var sequentialCreate = await LoadRunner.SequentialAsync(
            "create, sequential", names.Length, (i, c) => api.CreateAsync(ns, bodies[i], c)).ConfigureAwait(false);

        var concurrentBodies = Enumerable.Range(0, options.ConcurrentCreates)
            .Select(i => KubeApi.ConfigMapBody($"cc-{i:D5}", Payload.Text(PayloadLength))).ToArray();
        Log($"b. {concurrentBodies.Length} creates at concurrency {options.Concurrency}");
        var concurrentCreate = await LoadRunner.ConcurrentAsync(
            $"create, {options.Concurrency}-way", concurrentBodies.Length, options.Concurrency,
            (i, c) => api.CreateAsync(ns, concurrentBodies[i], c)).ConfigureAwait(false);

        var picks = Enumerable.Range(0, options.Gets).Select(_ => names[Payload.Next(names.Length)]).ToArray();
        Log($"c. {picks.Length} sequential GETs");
        var get = await LoadRunner.SequentialAsync(
            "get, sequential", picks.Length, (i, c) => api.GetAsync(ns, picks[i], c)).ConfigureAwait(false);

        var (list, listItems, listBytes) = await MeasureListAsync(ct).ConfigureAwait(false);
        var (patch, watchDelay) = await MeasureWatchAsync(ct).ConfigureAwait(false);

        var deletes = Math.Min(options.Deletes, names.Length);
        Log($"f. {deletes} sequential deletes");
        var delete = await LoadRunner.SequentialAsync(
            "delete, sequential", deletes, (i, c) => api.DeleteAsync(ns, names[i], c)).ConfigureAwait(false);

        return new ApiResults(sequentialCreate, concurrentCreate, get, list, listItems, listBytes, patch, watchDelay, delete);
    }

    private async Task<(Measurement List, int Items, int Bytes)> MeasureListAsync(CancellationToken ct)
    {
        var ns = $"bench-{_run}-list";
        await api.CreateNamespaceAsync(ns, ct).ConfigureAwait(false);
        Log($"d. populating {ns} with {options.ListObjects} objects");
        var bodies = Enumerable.Range(0, options.ListObjects)
            .Select(i => KubeApi.ConfigMapBody($"l-{i:D5}", Payload.Text(PayloadLength))).ToArray();
        await LoadRunner.ConcurrentAsync("populate", bodies.Length, options.Concurrency, (i, c) => api.CreateAsync(ns, bodies[i], c))
            .ConfigureAwait(false);

        var (items, _, bytes) = await api.ListSummaryAsync(ns, ct).ConfigureAwait(false);
        if (items != options.ListObjects)
        {
            throw new InvalidOperationException($"LIST of {ns} returned {items} items, expected {options.ListObjects}");
        }

        Log($"d. {options.Lists} LISTs of {items} objects ({bytes / 1024} KiB each)");
        var list = await LoadRunner.SequentialAsync(
            $"list of {items}", options.Lists, (_, c) => api.ListAsync(ns, c)).ConfigureAwait(false);
        return (list, items, bytes);
    }

    private async Task<(Measurement Patch, Measurement Delay)> MeasureWatchAsync(CancellationToken ct)
    {
        var ns = $"bench-{_run}-watch";
        const string name = "watched";
        await api.CreateNamespaceAsync(ns, ct).ConfigureAwait(false);
        await api.CreateAsync(ns, KubeApi.ConfigMapBody(name, Payload.Text(PayloadLength)), ct).ConfigureAwait(false);
        var (_, resourceVersion, _) = await api.ListSummaryAsync(ns, ct).ConfigureAwait(false);

        var warmup = Math.Max(1, options.Warmup / 5);
        var total = warmup + options.WatchUpdates;
        Log($"e. watch from resourceVersion {resourceVersion}, {options.WatchUpdates} sequential merge patches (+{warmup} warm-up)");
        await using var probe = await WatchProbe.OpenAsync(api, ns, name, resourceVersion, total, ct).ConfigureAwait(false);

        using var deadline = new CancellationTokenSource(LoadRunner.PhaseTimeout);
        var patchTicks = new List<long>(options.WatchUpdates);
        var delayTicks = new List<long>(options.WatchUpdates);
        var wall = Stopwatch.StartNew();
        CpuUse? cpuBefore = null;
        for (var i = 0; i < total; i++)
        {
            var patch = Encoding.UTF8.GetBytes(
                new JsonObject { ["data"] = new JsonObject { ["seq"] = i.ToString(CultureInfo.InvariantCulture) } }.ToJsonString());
            if (i == warmup)
            {
                wall.Restart();
                cpuBefore = LoadRunner.CpuSampler?.Invoke();
            }

            var start = Stopwatch.GetTimestamp();
            await api.MergePatchAsync(ns, name, patch, deadline.Token).ConfigureAwait(false);
            var answered = Stopwatch.GetTimestamp();
            long arrived;
            try
            {
                arrived = await probe.ArrivalAsync(i).WaitAsync(WatchEventTimeout, deadline.Token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"the MODIFIED event for update {i} did not arrive within {WatchEventTimeout.TotalSeconds} s");
            }

            if (i >= warmup)
            {
                patchTicks.Add(answered - start);
                delayTicks.Add(arrived - start);
            }
        }

        wall.Stop();
        var cpu = cpuBefore is null ? null : LoadRunner.CpuSampler!.Invoke() - cpuBefore;
        return (new Measurement("update (merge patch)", patchTicks, wall.Elapsed, cpu),
                new Measurement("watch delay", delayTicks, wall.Elapsed));
    }

    // One small pass over every kind of call, so the host's tiered JIT and connection setup are not in the figures.
    private async Task WarmUpAsync(CancellationToken ct)
    {
        var ns = $"bench-{_run}-warm";
        await api.CreateNamespaceAsync(ns, ct).ConfigureAwait(false);
        var count = Math.Max(1, options.Warmup);
        await LoadRunner.ConcurrentAsync("warm-up", count, 4, async (i, c) =>
        {
            var name = $"w-{i:D5}";
            await api.CreateAsync(ns, KubeApi.ConfigMapBody(name, Payload.Text(PayloadLength)), c).ConfigureAwait(false);
            await api.GetAsync(ns, name, c).ConfigureAwait(false);
            await api.MergePatchAsync(ns, name, """{"data":{"k":"v"}}"""u8.ToArray(), c).ConfigureAwait(false);
            await api.ListAsync(ns, c).ConfigureAwait(false);
            await api.DeleteAsync(ns, name, c).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    private static void Log(string message) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
