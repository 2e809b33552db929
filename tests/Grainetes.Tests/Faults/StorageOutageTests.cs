using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Grainetes.Tests.Faults;

/// <summary>
/// Azurite frozen and then stopped under the real host while clients write: every answer is a success or a 503
/// with <c>Retry-After</c> and a <c>Status</c> body (no 500, no hang), <c>/readyz</c> follows storage, writes
/// succeed again once it is back, and nothing half-written is visible: each object is exactly as its last
/// acknowledged write, or as a later write whose answer was a 503.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StorageOutageTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private const int Writers = 6;

    [Fact]
    public async Task WritesDuringAnOutageAnswer503AndLeaveNothingHalfWritten()
    {
        using var http = new HttpClient { BaseAddress = cluster.ApiAddress, Timeout = TimeSpan.FromSeconds(90) };
        var ns = "outage-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(http, "/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""")).StatusCode);
        var path = $"/api/v1/namespaces/{ns}/configmaps";

        var writes = new ConcurrentDictionary<string, List<Attempt>>(StringComparer.Ordinal);
        var problems = new ConcurrentQueue<string>();
        var unavailable = 0;
        var acked = 0;
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var random = new Random(w);
            var seq = 0;
            var names = new List<string>();
            while (!stop.IsCancellationRequested)
            {
                var create = names.Count == 0 || random.Next(3) > 0;
                var name = create ? $"w{w}-{seq}" : names[random.Next(names.Count)];
                var value = $"w{w}-v{seq++}";
                HttpResponseMessage response;
                try
                {
                    response = create
                        ? await PostAsync(http, path, $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"v":"{{{value}}}"}}""")
                        : await http.PatchAsync($"{path}/{name}", new StringContent($$$"""{"data":{"v":"{{{value}}}"}}""", Encoding.UTF8, "application/merge-patch+json"));
                }
                catch (Exception ex) when (ex is TaskCanceledException or HttpRequestException)
                {
                    problems.Enqueue($"{(create ? "POST" : "PATCH")} {name} got no answer: {ex.GetType().Name}");
                    continue;
                }

                var body = await response.Content.ReadAsStringAsync();
                var attempts = writes.GetOrAdd(name, _ => []);
                if (response.IsSuccessStatusCode)
                {
                    attempts.Add(new Attempt(value, (string?)JsonNode.Parse(body)!["metadata"]!["resourceVersion"], true));
                    Interlocked.Increment(ref acked);
                    if (create)
                    {
                        names.Add(name);
                    }
                }
                else if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    Interlocked.Increment(ref unavailable);
                    attempts.Add(new Attempt(value, null, false));
                    var status = JsonNode.Parse(body);
                    if (response.Headers.RetryAfter is null || (string?)status?["kind"] != "Status" || (int?)status?["code"] != 503)
                    {
                        problems.Enqueue($"a 503 without Retry-After or Status: {body}");
                    }

                    // As a client honouring Retry-After would, briefly.
                    await Task.Delay(200);
                }
                else
                {
                    problems.Enqueue($"{(create ? "POST" : "PATCH")} {name}: {(int)response.StatusCode} {body}");
                }
            }
        })).ToList();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref acked)), n => n >= 20, TimeSpan.FromSeconds(60), "writes before the outage");

        // A frozen Azurite: connections open, nothing answered, for longer than a grain call may take.
        cluster.FreezeStorage(true);
        output.WriteLine($"{clock.ElapsedMilliseconds} ms: frozen");
        try
        {
            await Poll.UntilAsync(() => http.GetAsync("/readyz"), r => r.StatusCode != HttpStatusCode.OK, TimeSpan.FromSeconds(60), "not ready while storage is frozen");
            await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref unavailable)), n => n > 0, TimeSpan.FromSeconds(60), "a 503 while storage is frozen");
        }
        finally
        {
            cluster.FreezeStorage(false);
        }

        output.WriteLine($"{clock.ElapsedMilliseconds} ms: thawed, {unavailable} answers were 503");
        await Poll.UntilAsync(() => http.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "ready after the thaw");

        // A stopped Azurite: connections refused.
        var before = Volatile.Read(ref unavailable);
        await cluster.StopStorageAsync();
        output.WriteLine($"{clock.ElapsedMilliseconds} ms: stopped");
        try
        {
            await Poll.UntilAsync(() => http.GetAsync("/readyz"), r => r.StatusCode != HttpStatusCode.OK, TimeSpan.FromSeconds(60), "not ready while storage is down");
            await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref unavailable)), n => n > before, TimeSpan.FromSeconds(60), "a 503 while storage is down");
        }
        finally
        {
            await cluster.StartStorageAsync();
        }

        output.WriteLine($"{clock.ElapsedMilliseconds} ms: started, {unavailable} answers were 503");
        await Poll.UntilAsync(() => http.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "ready after the restart");
        var acknowledgedBefore = Volatile.Read(ref acked);
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref acked)), n => n >= acknowledgedBefore + 20, TimeSpan.FromSeconds(60), "writes succeeding again");
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        output.WriteLine($"{clock.ElapsedMilliseconds} ms: {writes.Values.Sum(a => a.Count)} writes, {unavailable} answered 503");
        if (!problems.IsEmpty)
        {
            var hostErrors = cluster.HostOutput.Split('\n').Where(l => l.Contains("Exception", StringComparison.Ordinal) || l.Contains("fail", StringComparison.Ordinal)).Distinct().Take(40);
            Assert.Fail(string.Join("\n", problems.Take(20)) + "\nhost:\n" + string.Join("\n", hostErrors));
        }

        // Nothing half-written: each object is as last acknowledged, or as a later write that got a 503.
        var list = JsonNode.Parse(await http.GetStringAsync(path))!["items"]!.AsArray().Select(i => i!).ToDictionary(i => (string)i["metadata"]!["name"]!);
        foreach (var (name, attempts) in writes)
        {
            var lastAck = attempts.FindLastIndex(a => a.Acknowledged);
            var later = attempts.Skip(lastAck + 1).Select(a => a.Value).ToHashSet();
            var response = await http.GetAsync($"{path}/{name}");
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                Assert.True(lastAck < 0, $"{name} was acknowledged ({attempts[Math.Max(lastAck, 0)]}) but is gone");
                Assert.False(list.ContainsKey(name), $"{name} is listed but cannot be read");
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var obj = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var value = (string?)obj["data"]?["v"];
            var rv = (string?)obj["metadata"]!["resourceVersion"];
            var asAcknowledged = lastAck >= 0 && attempts[lastAck].Value == value && attempts[lastAck].ResourceVersion == rv;
            Assert.True(asAcknowledged || (value is not null && later.Contains(value)), $"{name} reads {value}@{rv}; its writes were {string.Join(", ", attempts)}");
            Assert.True(list.TryGetValue(name, out var listed), $"{name} can be read but is not listed");
            Assert.Equal(rv, (string?)listed!["metadata"]!["resourceVersion"]);
        }

        Assert.DoesNotContain(list.Keys, k => !writes.ContainsKey(k));
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string body) =>
        http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    private sealed record Attempt(string Value, string? ResourceVersion, bool Acknowledged);
}
