using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Host.Azurite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Benchmarks.Failover;

/// <summary>
/// Issue 7's failover figures: three real hosts on this machine (one Azurite, process runtime, a 6-replica
/// Deployment and 24 ConfigMaps), one SIGKILLed; from the kill, the time until (a) the API on a surviving host
/// answers again for every object, (b) the dead node is marked not ready, (c) all its pods are replaced and Ready;
/// then the time until the restarted host's node is Ready again. Once with the default timings, once with the tests'.
/// </summary>
public static class FailoverBenchmark
{
    private const int Hosts = 3;
    private const int Replicas = 6;
    private const int ConfigMaps = 24;

    /// <summary>The tests' Orleans membership timings (a silo missing 3 probes 2 s apart is voted dead).</summary>
    private static readonly Dictionary<string, string> TestMembership = new()
    {
        ["Orleans__Membership__ProbeTimeout"] = "00:00:02",
        ["Orleans__Membership__NumMissedProbesLimit"] = "3",
        ["Orleans__Membership__IAmAliveTablePublishTimeout"] = "00:00:05",
        ["Orleans__Membership__NumMissedTableIAmAliveLimit"] = "2",
        ["Orleans__Membership__TableRefreshTimeout"] = "00:00:05",
    };

    public sealed record Timings(string Name, string[] HostFlags, IReadOnlyDictionary<string, string> Environment);

    public static readonly Timings Test = new("test", ["--node-monitor-grace-period", "10s", "--pod-eviction-timeout", "5s"], TestMembership);

    public static readonly Timings Default = new("default", [], new Dictionary<string, string>());

    public static async Task<int> RunAsync(IReadOnlyList<Timings> timings)
    {
        var lines = new List<string>();
        var failures = 0;
        foreach (var t in timings)
        {
            try
            {
                lines.Add(await RunOnceAsync(t).ConfigureAwait(false));
            }
            catch (Exception e)
            {
                failures++;
                Console.Error.WriteLine($"{t.Name} timings failed: {e}");
                lines.Add($"{t.Name}: FAILED ({e.Message})");
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Failover, {DateTime.Now:yyyy-MM-dd HH:mm}, {Environment.ProcessorCount} cores, load average {Scheduling.SchedulerEndToEndBenchmark.LoadAverage()}");
        Console.WriteLine("| timings | (a) API answers for every object | (b) dead node not ready | (c) its pods replaced and Ready | restarted node Ready |");
        Console.WriteLine("| --- | --- | --- | --- | --- |");
        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }

        return failures == 0 ? 0 : 1;
    }

    private static async Task<string> RunOnceAsync(Timings timings)
    {
        var root = Path.Combine(Path.GetTempPath(), "grainetes-failover-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        var installation = AzuriteInstallation.Locate(RepositoryLayout.Root);
        var azuriteSettings = await installation.LoadSettingsAsync().ConfigureAwait(false);
        await using var azurite = await AzuriteProcess.StartAsync(installation, azuriteSettings with { TablePort = 0 }, Path.Combine(root, "azurite"), NullLogger.Instance).ConfigureAwait(false);
        var hosts = new HostProcess?[Hosts];
        var arguments = new string[Hosts][];
        try
        {
            string? secret = null;
            for (var i = 0; i < Hosts; i++)
            {
                arguments[i] =
                [
                    "--storage", azurite.ConnectionString,
                    "--silo-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
                    "--gateway-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
                    "--advertise-address", "127.0.0.1",
                    "--node-name", Node(i),
                    "--runtime", "process",
                    .. timings.HostFlags,
                    .. secret is null ? Array.Empty<string>() : ["--cluster-secret", secret],
                ];
                hosts[i] = await HostProcess.StartMemberAsync(RepositoryLayout.HostDll, i == 0 ? "up" : "join", Path.Combine(root, Node(i)), FreePort.Next(), arguments[i], timings.Environment).ConfigureAwait(false);
                secret ??= (await File.ReadAllTextAsync(Path.Combine(root, Node(0), "join-command")).ConfigureAwait(false)).Trim().Split(' ')[^1];
            }

            Cluster.Log($"{timings.Name}: {Hosts} hosts up");
            using var first = new KubeApi(hosts[0]!.ApiAddress);
            using var survivor = new KubeApi(hosts[1]!.ApiAddress);
            survivor.Http.Timeout = TimeSpan.FromSeconds(5);
            await first.CreateNamespaceAsync("failover", CancellationToken.None).ConfigureAwait(false);
            for (var i = 0; i < ConfigMaps; i++)
            {
                await first.CreateAsync("failover", KubeApi.ConfigMapBody($"kept-{i}", $"v{i}"), CancellationToken.None).ConfigureAwait(false);
            }

            await first.PostAsync("/apis/apps/v1/namespaces/failover/deployments", Encoding.UTF8.GetBytes(Deployment()), CancellationToken.None).ConfigureAwait(false);
            await UntilAsync(async () => (await PodsAsync(first).ConfigureAwait(false)) is var pods && pods.Count(p => p.Ready) == Replicas && Enumerable.Range(0, Hosts).All(h => pods.Any(p => p.Node == Node(h))), TimeSpan.FromMinutes(3), "6 Ready pods on every host").ConfigureAwait(false);

            const int victim = Hosts - 1;
            var clock = Stopwatch.StartNew();
            await hosts[victim]!.KillAsync().ConfigureAwait(false);
            Cluster.Log($"{timings.Name}: killed {Node(victim)}");
            var api = TimeSpan.Zero;
            var notReady = TimeSpan.Zero;
            var replaced = TimeSpan.Zero;
            var limit = TimeSpan.FromMinutes(10);
            while (clock.Elapsed < limit && (api == TimeSpan.Zero || notReady == TimeSpan.Zero || replaced == TimeSpan.Zero))
            {
                if (api == TimeSpan.Zero && await AllObjectsAnswerAsync(survivor).ConfigureAwait(false))
                {
                    api = clock.Elapsed;
                    Cluster.Log($"{timings.Name}: (a) API answers for every object after {api.TotalSeconds:0.0} s");
                }

                if (notReady == TimeSpan.Zero && await ReadyAsync(survivor, Node(victim)).ConfigureAwait(false) is { } ready && ready != "True")
                {
                    notReady = clock.Elapsed;
                    Cluster.Log($"{timings.Name}: (b) node Ready={ready} after {notReady.TotalSeconds:0.0} s");
                }

                if (replaced == TimeSpan.Zero && await TryAsync(() => PodsAsync(survivor)).ConfigureAwait(false) is { } pods
                    && pods.Count == Replicas && pods.All(p => p.Ready && p.Node != Node(victim)))
                {
                    replaced = clock.Elapsed;
                    Cluster.Log($"{timings.Name}: (c) pods replaced and Ready after {replaced.TotalSeconds:0.0} s");
                }

                await Task.Delay(200).ConfigureAwait(false);
            }

            var back = Stopwatch.StartNew();
            hosts[victim] = await HostProcess.StartMemberAsync(RepositoryLayout.HostDll, "join", Path.Combine(root, Node(victim)), FreePort.Next(), arguments[victim], timings.Environment).ConfigureAwait(false);
            await UntilAsync(async () => await ReadyAsync(survivor, Node(victim)).ConfigureAwait(false) == "True", TimeSpan.FromMinutes(3), "restarted node Ready").ConfigureAwait(false);
            var returned = back.Elapsed;
            await survivor.DeletePathAsync("/apis/apps/v1/namespaces/failover/deployments/spread", CancellationToken.None).ConfigureAwait(false);
            await UntilAsync(async () => (await PodsAsync(survivor).ConfigureAwait(false)).Count == 0, TimeSpan.FromMinutes(2), "pods gone").ConfigureAwait(false);
            return $"| {timings.Name} {string.Join(' ', timings.HostFlags)} | {Seconds(api)} | {Seconds(notReady)} | {Seconds(replaced)} | {returned.TotalSeconds:0.0} s from restart |";
        }
        finally
        {
            foreach (var host in hosts.Reverse())
            {
                if (host is not null)
                {
                    await host.DisposeAsync().ConfigureAwait(false);
                }
            }

            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind harms nothing.
            }
        }
    }

    private static string Node(int host) => "host-" + host.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan elapsed) => elapsed == TimeSpan.Zero ? "not reached in 10 min" : $"{elapsed.TotalSeconds:0.0} s";

    private static string Deployment() => """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"spread"},
         "spec":{"replicas":6,"selector":{"matchLabels":{"app":"spread"}},
          "template":{"metadata":{"labels":{"app":"spread"}},
           "spec":{"terminationGracePeriodSeconds":1,"containers":[{"name":"main","image":"busybox","command":["sleep","3601"]}]}}}}
        """;

    private static async Task<bool> AllObjectsAnswerAsync(KubeApi api)
    {
        var reads = Enumerable.Range(0, ConfigMaps).Select(i => TryAsync(() => api.GetAsync("failover", $"kept-{i}", CancellationToken.None)));
        return (await Task.WhenAll(reads).ConfigureAwait(false)).All(r => r is not null);
    }

    private static async Task<string?> ReadyAsync(KubeApi api, string node)
    {
        var body = await TryAsync(() => api.GetPathAsync($"/api/v1/nodes/{node}", CancellationToken.None)).ConfigureAwait(false);
        return body is null ? null : (string?)JsonNode.Parse(body)?["status"]?["conditions"]?.AsArray().FirstOrDefault(c => (string?)c?["type"] == "Ready")?["status"];
    }

    private static async Task<List<(string? Node, bool Ready)>> PodsAsync(KubeApi api)
    {
        var json = JsonNode.Parse(await api.GetPathAsync("/api/v1/namespaces/failover/pods?labelSelector=app%3Dspread", CancellationToken.None).ConfigureAwait(false))!;
        return json["items"]!.AsArray()
            .Where(p => p!["metadata"]?["deletionTimestamp"] is null)
            .Select(p => ((string?)p!["spec"]?["nodeName"], (string?)p["status"]?["conditions"]?.AsArray().FirstOrDefault(c => (string?)c?["type"] == "Ready")?["status"] == "True"))
            .ToList();
    }

    private static async Task<T?> TryAsync<T>(Func<Task<T>> call)
        where T : class
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            return null;
        }
    }

    private static async Task UntilAsync(Func<Task<bool>> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await done().ConfigureAwait(false))
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{what} not reached in {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(250).ConfigureAwait(false);
        }
    }
}
