using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Benchmarks.Soak;

/// <summary>
/// A soak on loopback: closed-loop clients create, read, list, patch and delete their own ConfigMaps while watches
/// follow every namespace. A 429 is waited out for its <c>Retry-After</c> and retried (not counted as an error).
/// Afterwards each watch must have seen every acknowledged change to every object of its namespace, in order, and
/// a list must hold every object exactly as last acknowledged.
/// </summary>
public sealed class SoakLoad : IDisposable
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(90);
    private readonly SoakSettings settings;
    private readonly Func<double?> sampleRssMiB;
    private readonly Action<string> log;
    private readonly SocketsHttpHandler handler;
    private readonly HttpClient http;
    private readonly HttpClient streaming;
    private readonly string prefix = "soak-" + Guid.NewGuid().ToString("N")[..6];
    private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> latencies = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> errors = new();
    private long throttled;
    private long unavailable;
    private long reconnects;
    private long delivered;

    public SoakLoad(Uri api, SoakSettings settings, Func<double?> sampleRssMiB, Action<string> log)
    {
        if (!IPAddress.TryParse(api.Host, out var ip) || !IPAddress.IsLoopback(ip))
        {
            throw new ArgumentException($"the soak only sends traffic to loopback, not {api}", nameof(api));
        }

        this.settings = settings;
        this.sampleRssMiB = sampleRssMiB;
        this.log = log;
        handler = new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = int.MaxValue, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
        http = new HttpClient(handler, disposeHandler: false) { BaseAddress = api, Timeout = TimeSpan.FromSeconds(60) };
        streaming = new HttpClient(handler, disposeHandler: false) { BaseAddress = api, Timeout = Timeout.InfiniteTimeSpan };
    }

    public async Task<SoakReport> RunAsync(CancellationToken cancellationToken)
    {
        var namespaces = Enumerable.Range(0, settings.Namespaces).Select(i => $"{prefix}-{i}").ToList();
        var startVersions = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var ns in namespaces)
        {
            await SendAsync(null, HttpMethod.Post, "/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""", HttpStatusCode.Created, cancellationToken);
            var list = await SendAsync(null, HttpMethod.Get, Path(ns), null, HttpStatusCode.OK, cancellationToken);
            startVersions[ns] = Version(JsonNode.Parse(list)!);
        }

        // Every watch starts from its namespace's list version, so none can miss a change made while it connects.
        using var watchStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watches = Enumerable.Range(0, settings.Watches).Select(i => new SoakWatch(i, namespaces[i % namespaces.Count], startVersions[namespaces[i % namespaces.Count]])).ToList();
        var watchTasks = watches.Select(w => Task.Run(() => WatchAsync(w, watchStop.Token), CancellationToken.None)).ToList();
        log($"{settings.Watches} watches opening; {settings.Clients} clients writing for {settings.Duration.TotalSeconds:F0} s");

        var clock = Stopwatch.StartNew();
        var memory = new ConcurrentQueue<(double, double)>();
        var objects = new ConcurrentDictionary<string, SoakObject>(StringComparer.Ordinal);
        using (var loadStop = new CancellationTokenSource(settings.Duration))
        {
            var sampler = Task.Run(() => SampleAsync(clock, memory, loadStop.Token), CancellationToken.None);
            var clients = Enumerable.Range(0, settings.Clients).Select(c => Task.Run(() => ClientAsync(c, namespaces[c % namespaces.Count], objects, loadStop.Token, cancellationToken), CancellationToken.None)).ToList();
            await Task.WhenAll(clients);
            await sampler;
        }

        log($"load done after {clock.Elapsed.TotalSeconds:F0} s: {latencies.Values.Sum(q => q.Count)} operations; draining watches");
        var targets = namespaces.ToDictionary(ns => ns, ns => objects.Values.Where(o => o.Namespace == ns).Select(o => o.LastVersion).DefaultIfEmpty(0).Max(), StringComparer.Ordinal);
        var drainDeadline = DateTime.UtcNow + DrainTimeout;
        while (DateTime.UtcNow < drainDeadline && watches.Any(w => !w.Failed && w.LastVersion < targets[w.Namespace]))
        {
            await Task.Delay(200, cancellationToken);
        }

        await watchStop.CancelAsync();
        await Task.WhenAll(watchTasks);

        var missed = CheckWatches(watches, objects.Values);
        var lost = await CheckStoreAsync(namespaces, objects.Values, cancellationToken);
        return new SoakReport(
            settings,
            latencies.ToDictionary(p => p.Key, p => (IReadOnlyList<double>)p.Value.ToList(), StringComparer.Ordinal),
            Interlocked.Read(ref throttled),
            Interlocked.Read(ref unavailable),
            Interlocked.Read(ref reconnects),
            Interlocked.Read(ref delivered),
            missed,
            lost,
            errors.ToList(),
            memory.ToList());
    }

    public void Dispose()
    {
        http.Dispose();
        streaming.Dispose();
        handler.Dispose();
    }

    private async Task SampleAsync(Stopwatch clock, ConcurrentQueue<(double, double)> memory, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (sampleRssMiB() is { } mib)
            {
                memory.Enqueue((clock.Elapsed.TotalSeconds, mib));
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One client's closed loop over its own objects; a request in flight when the load stops still finishes.</summary>
    private async Task ClientAsync(int client, string ns, ConcurrentDictionary<string, SoakObject> objects, CancellationToken stop, CancellationToken cancellationToken)
    {
        var random = new Random(client);
        var seq = 0;
        var mine = Enumerable.Range(0, settings.NamesPerClient)
            .Select(k => objects.GetOrAdd($"{ns}/c{client}-{k}", _ => new SoakObject(ns, $"c{client}-{k}")))
            .ToList();
        while (!stop.IsCancellationRequested && mine.Any(o => !o.Uncertain))
        {
            var obj = mine[random.Next(mine.Count)];
            if (obj.Uncertain)
            {
                continue;
            }

            var roll = random.Next(100);
            var write = !obj.Exists || roll >= 45;
            var value = $"v{seq++}";
            try
            {
                if (!obj.Exists)
                {
                    var body = await SendAsync("create", HttpMethod.Post, Path(ns), $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{obj.Name}}}"},"data":{"v":"{{{value}}}"}}""", HttpStatusCode.Created, cancellationToken);
                    obj.Acknowledged.Add(new SoakEvent("ADDED", Version(JsonNode.Parse(body)!)));
                    obj.Exists = true;
                }
                else if (roll < 35)
                {
                    var body = await SendAsync("get", HttpMethod.Get, $"{Path(ns)}/{obj.Name}", null, HttpStatusCode.OK, cancellationToken);
                    var rv = Version(JsonNode.Parse(body)!);
                    if (rv != obj.LastVersion)
                    {
                        errors.Enqueue($"get {ns}/{obj.Name} read version {rv}, but {obj.LastVersion} was acknowledged last");
                    }
                }
                else if (roll < 45)
                {
                    await SendAsync("list", HttpMethod.Get, Path(ns) + "?limit=500", null, HttpStatusCode.OK, cancellationToken);
                }
                else if (roll < 85)
                {
                    var body = await SendAsync("patch", HttpMethod.Patch, $"{Path(ns)}/{obj.Name}", $$$"""{"data":{"v":"{{{value}}}"}}""", HttpStatusCode.OK, cancellationToken, "application/merge-patch+json");
                    obj.Acknowledged.Add(new SoakEvent("MODIFIED", Version(JsonNode.Parse(body)!)));
                }
                else
                {
                    var body = await SendAsync("delete", HttpMethod.Delete, $"{Path(ns)}/{obj.Name}", null, HttpStatusCode.OK, cancellationToken);
                    var answer = JsonNode.Parse(body)!;
                    obj.Acknowledged.Add(new SoakEvent("DELETED", (string?)answer["kind"] == "Status" ? 0 : Version(answer)));
                    obj.Exists = false;
                }
            }
            catch (SoakRequestException e) when (e.Status == HttpStatusCode.ServiceUnavailable && write)
            {
                // The documented answer when storage is too slow to log a write in time: the write may or may not
                // land, so the object's outcome is unknown and it leaves the checks (as a client would re-read it).
                Interlocked.Increment(ref unavailable);
                obj.Uncertain = true;
            }
            catch (SoakRequestException e)
            {
                errors.Enqueue(e.Message);
                obj.Uncertain = true;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                errors.Enqueue($"a request on {ns}/{obj.Name} got no answer within {http.Timeout.TotalSeconds:F0} s");
                obj.Uncertain = true;
            }
        }
    }

    private async Task WatchAsync(SoakWatch watch, CancellationToken stop)
    {
        var first = true;
        while (!stop.IsCancellationRequested)
        {
            if (!first)
            {
                Interlocked.Increment(ref reconnects);
            }

            first = false;
            try
            {
                var path = $"{Path(watch.Namespace)}?watch=true&allowWatchBookmarks=true&resourceVersion={watch.LastVersion}";
                using var response = await streaming.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, stop);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref throttled);
                    await Task.Delay(RetryAfter(response), stop);
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                {
                    errors.Enqueue($"watch {watch.Id} on {watch.Namespace}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(stop)}");
                    watch.Failed = true;
                    return;
                }

                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop), Encoding.UTF8);
                while (await reader.ReadLineAsync(stop) is { } line)
                {
                    if (line.Length == 0)
                    {
                        continue;
                    }

                    var e = JsonNode.Parse(line)!;
                    var type = (string)e["type"]!;
                    if (type == "ERROR")
                    {
                        errors.Enqueue($"watch {watch.Id} on {watch.Namespace}: {line}");
                        watch.Failed = true;
                        return;
                    }

                    var rv = Version(e["object"]!);
                    if (type == "BOOKMARK")
                    {
                        watch.LastVersion = Math.Max(watch.LastVersion, rv);
                        continue;
                    }

                    if (rv <= watch.LastVersion)
                    {
                        errors.Enqueue($"watch {watch.Id} on {watch.Namespace} (from {watch.StartVersion}): {type} of {(string?)e["object"]!["metadata"]!["name"]} at {rv} came after {watch.LastVersion}");
                    }

                    watch.Record((string)e["object"]!["metadata"]!["name"]!, new SoakEvent(type, rv));
                    watch.LastVersion = rv;
                    Interlocked.Increment(ref delivered);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // The connection dropped: resume from the last version seen, as a reflector does.
            }
        }
    }

    /// <summary>Each watch saw every acknowledged change after its start, in order (extra events are allowed only for uncertain objects).</summary>
    private static List<string> CheckWatches(IReadOnlyList<SoakWatch> watches, ICollection<SoakObject> objects)
    {
        var missed = new List<string>();
        foreach (var watch in watches.Where(w => !w.Failed))
        {
            foreach (var obj in objects.Where(o => o.Namespace == watch.Namespace && !o.Uncertain))
            {
                var expected = obj.Acknowledged.Where(e => e.ResourceVersion == 0 || e.ResourceVersion > watch.StartVersion).ToList();
                var seen = watch.Seen.TryGetValue(obj.Name, out var s) ? s : [];
                var next = 0;
                foreach (var e in seen)
                {
                    if (next < expected.Count && expected[next].Matches(e))
                    {
                        next++;
                    }
                }

                if (next < expected.Count)
                {
                    missed.Add($"watch {watch.Id} on {watch.Namespace} missed {obj.Name} {expected[next]} (saw {string.Join(" ", seen)}; acknowledged {string.Join(" ", expected)})");
                }
            }
        }

        return missed;
    }

    /// <summary>A list of each namespace holds every object exactly as last acknowledged, and nothing deleted.</summary>
    private async Task<List<string>> CheckStoreAsync(IReadOnlyList<string> namespaces, ICollection<SoakObject> objects, CancellationToken cancellationToken)
    {
        var lost = new List<string>();
        foreach (var ns in namespaces)
        {
            var list = JsonNode.Parse(await SendAsync(null, HttpMethod.Get, Path(ns), null, HttpStatusCode.OK, cancellationToken))!;
            var listed = list["items"]!.AsArray().ToDictionary(i => (string)i!["metadata"]!["name"]!, i => Version(i!), StringComparer.Ordinal);
            foreach (var obj in objects.Where(o => o.Namespace == ns && !o.Uncertain))
            {
                var there = listed.TryGetValue(obj.Name, out var rv);
                if (obj.Exists && (!there || rv != obj.LastVersion))
                {
                    lost.Add($"{ns}/{obj.Name} acknowledged at {obj.LastVersion} lists as {(there ? rv.ToString(CultureInfo.InvariantCulture) : "absent")}");
                }
                else if (!obj.Exists && there)
                {
                    lost.Add($"{ns}/{obj.Name} was deleted but lists at {rv}");
                }
            }
        }

        return lost;
    }

    /// <summary>Sends one request, waiting out 429s for their Retry-After; times the answered attempt under <paramref name="verb"/>.</summary>
    private async Task<string> SendAsync(string? verb, HttpMethod method, string path, string? body, HttpStatusCode expected, CancellationToken cancellationToken, string contentType = "application/json")
    {
        while (true)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, contentType);
            }

            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Interlocked.Increment(ref throttled);
                await Task.Delay(RetryAfter(response), cancellationToken);
                continue;
            }

            if (verb is not null)
            {
                latencies.GetOrAdd(verb, _ => new ConcurrentQueue<double>()).Enqueue(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            if (response.StatusCode != expected && !(method == HttpMethod.Delete && response.StatusCode == HttpStatusCode.Accepted))
            {
                throw new SoakRequestException($"{method} {path}: {(int)response.StatusCode} {text[..Math.Min(text.Length, 300)]}", response.StatusCode);
            }

            return text;
        }
    }

    private static TimeSpan RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);

    private static string Path(string ns) => $"/api/v1/namespaces/{ns}/configmaps";

    private static long Version(JsonNode obj) =>
        long.Parse((string?)obj["metadata"]?["resourceVersion"] ?? "0", CultureInfo.InvariantCulture);
}
