using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Errors;
using Grainetes.Tests.Controllers;
using Grainetes.Tests.EndToEnd;
using Grainetes.Tests.Infrastructure;
using Orleans.TestingHost;
using Xunit.Abstractions;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Faults;

/// <summary>
/// <see cref="SiloLossRolloutTests"/> under load: three silos on a real Azurite; the silo running the Deployment's
/// controller, the controller manager and the ConfigMaps' collection grain is killed midway through a rolling update
/// while six writers create, replace and delete ConfigMaps in the Deployment's namespace and a busy loop reads its
/// pods and ReplicaSets and scales two unrelated Deployments there. The rollout must finish within its bounds and
/// every acknowledged write must survive.
/// </summary>
public sealed class SiloLossRolloutUnderLoadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Deploy = "deployments.apps";
    private const string Rs = "replicasets.apps";
    private const int Replicas = 6;
    private const int Writers = 6;
    private static readonly string[] Busy = ["busy-0", "busy-1"];
    private static readonly TimeSpan LoadAfterKill = TimeSpan.FromSeconds(15);

    // Unthrottled, six writers saturate this machine's Azurite (about 300 writes/s) and starve the rollout's own writes
    // for tens of seconds; a short think time keeps the load heavy but leaves the rollout room to finish in bounds.
    private static readonly TimeSpan ThinkTime = TimeSpan.FromMilliseconds(50);
    private AzuriteTestCluster? host;

    private TestCluster Cluster => host!.Cluster;

    private IGrainFactory Grains => host!.Grains;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<FailoverSiloConfigurator>("loadroll", silos: 3);

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task ARollingUpdateFinishesWithinItsBoundsAndNoAcknowledgedWriteIsLostWhenItsControllersSiloIsKilledUnderLoad()
    {
        var clock = Stopwatch.StartNew();
        var w = new Workloads(Grains);
        var writers = new ConfigMapWriters(Grains, w.Ns, thinkTime: ThinkTime);
        await writers.CreateNamespaceAsync();
        var strategy = new JsonObject
        {
            ["type"] = "RollingUpdate",
            ["rollingUpdate"] = new JsonObject { ["maxSurge"] = 2, ["maxUnavailable"] = 1 },
        };
        await w.CreateAsync(Deploy, Deployment("web", Replicas, "nginx:1", strategy));
        foreach (var name in Busy)
        {
            await w.CreateAsync(Deploy, Deployment(name, 2));
        }

        await w.KubeletUntilAsync(() => w.RolloutCompleteAsync("web"), what: "first rollout");
        output.WriteLine($"first rollout {clock.ElapsedMilliseconds} ms");

        // Put what drives the rollout on the silo that will die, and the ConfigMaps' collection too, so that the kill
        // cuts writes between their commit and their log entry. A busy grain may not go idle in time on a loaded
        // machine: then the victim is whichever secondary the controller is on.
        var target = Cluster.SecondarySilos[0];
        var controller = Grains.GetGrain<IDeploymentControllerGrain>(w.Ns + "/web");
        var manager = Grains.GetGrain<IControllerManagerGrain>("default");
        var configMaps = Grains.GetGrain<IResourceCollectionGrain>("configmaps");
        await configMaps.CurrentResourceVersion();
        var moves = await Task.WhenAll(
            TimedMoveAsync(controller, target.SiloAddress, TimeSpan.FromSeconds(30)),
            TimedMoveAsync(manager, target.SiloAddress, TimeSpan.FromSeconds(30)),
            TimedMoveAsync(configMaps, target.SiloAddress, TimeSpan.FromSeconds(15)));
        var management = Grains.GetGrain<IManagementGrain>(0);
        var controllerAt = await management.GetActivationAddress(controller);
        if (Cluster.Primary?.SiloAddress.Equals(controllerAt) == true && await TimedMoveAsync(controller, Cluster.SecondarySilos[1].SiloAddress, TimeSpan.FromSeconds(30)) is var second)
        {
            output.WriteLine($"the controller stayed on the primary; to the other secondary: {second}");
            controllerAt = await management.GetActivationAddress(controller);
        }

        var victim = Cluster.SecondarySilos.FirstOrDefault(s => s.SiloAddress.Equals(controllerAt));
        Assert.True(victim is not null, $"the deployment controller is on {controllerAt?.ToString() ?? "no silo"}, not a secondary silo to kill");
        output.WriteLine($"moved {clock.ElapsedMilliseconds} ms: controller {moves[0]}, manager {moves[1]}, configmaps' collection {moves[2]}");

        using var stop = new CancellationTokenSource();
        var busy = new BusyNamespace(w);
        var load = Task.WhenAll(writers.RunAsync(Writers, stop.Token), Task.Run(() => busy.RunAsync(stop.Token), CancellationToken.None));
        try
        {
            await Poll.UntilAsync(() => Task.FromResult((Acks: writers.Counts.GetValueOrDefault("ack"), busy.Rounds)), c => c.Acks >= 50 && c.Rounds >= 5, Deadline, "the load under way");
            var bounds = new RolloutBounds(Replicas, maxSurge: 2, maxUnavailable: 1);
            await w.MergePatchAsync(Deploy, "web", ImagePatch("nginx:2"));

            // Nothing marks the web's new pods ready but this test, so the rollout stops midway: the first surge, then
            // two of them Ready, then the old set scaled down for them and one more new pod created (and held).
            var firstNew = await Poll.UntilAsync(
                async () =>
                {
                    var pods = WebPods(await w.PodsAsync());
                    bounds.Sample(pods);
                    return pods.Where(p => !IsDeleting(p) && Image(p) == "nginx:2").ToList();
                },
                p => p.Count >= 2,
                Deadline,
                "the first surge of new pods");
            await w.MarkReadyAsync(firstNew.Take(2));
            await Poll.UntilAsync(
                async () =>
                {
                    var pods = WebPods(await w.PodsAsync()).Where(p => !IsDeleting(p)).ToList();
                    bounds.Sample(pods);
                    return (Old: pods.Count(p => Image(p) == "nginx:1"), New: pods.Count(p => Image(p) == "nginx:2"));
                },
                c => c.Old <= Replicas - 2 && c.New >= 3,
                Deadline,
                "the old set scaled down for the new Ready pods");

            Assert.Equal(victim.SiloAddress, await management.GetActivationAddress(controller));
            Assert.False(await w.RolloutCompleteAsync("web"));
            var acksAtKill = writers.Counts.GetValueOrDefault("ack");
            var busyAtKill = busy.Rounds;
            output.WriteLine($"midway {clock.ElapsedMilliseconds} ms: {acksAtKill} writes acknowledged, {busyAtKill} busy rounds; killing {victim.SiloAddress}");
            await Cluster.KillSiloAsync(victim);
            var killed = Stopwatch.StartNew();

            await TransientPoll.UntilAsync(
                async () =>
                {
                    var pods = WebPods(await w.PodsAsync());
                    bounds.Sample(pods);
                    await w.MarkReadyAsync(pods);
                    return await w.RolloutCompleteAsync("web") && (await WebReplicaSetsAsync(w)).Count == 2;
                },
                TimeSpan.FromSeconds(90),
                "the rollout finished by the surviving silos");
            output.WriteLine($"rollout finished {killed.ElapsedMilliseconds} ms after the kill; {bounds.Samples} samples, at most {bounds.MostPods} pods, at least {bounds.FewestReady} ready");

            // The load goes on for a while after the kill whatever the rollout's pace, so that writes meet the silo's
            // death being detected and the grains moving; then it stops and every writer settles its last write.
            if (LoadAfterKill - killed.Elapsed is { Ticks: > 0 } rest)
            {
                await Task.Delay(rest);
            }

            // A call in flight to the killed silo can hold a writer or the busy loop for a grain call's timeout (30 s),
            // so wait for progress after the kill with a deadline rather than expect it within the fixed window.
            await Poll.UntilAsync(
                () => Task.FromResult((Acks: writers.Counts.GetValueOrDefault("ack"), Rounds: busy.Rounds)),
                p => p.Acks > acksAtKill && p.Rounds > busyAtKill,
                TimeSpan.FromSeconds(90),
                "writes acknowledged and busy rounds made after the kill");
            await stop.CancelAsync();
            await load;
            output.WriteLine($"writers: {writers.Summary}; busy: {busy.Summary}; test time {clock.ElapsedMilliseconds} ms");

            bounds.AssertHeld();
            var all = await ConfigMapWriters.RetryAsync(w.PodsAsync);
            var duplicates = all.GroupBy(Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(duplicates.Count == 0, "pods listed twice: " + string.Join(", ", duplicates));
            var final = WebPods(all).Where(p => !IsDeleting(p)).ToList();
            Assert.Equal(Replicas, final.Count);
            Assert.All(final, p => Assert.Equal("nginx:2", Image(p)));
            var sets = await ConfigMapWriters.RetryAsync(() => WebReplicaSetsAsync(w));
            Assert.Equal(2, sets.Count);
            var current = Assert.Single(sets, rs => Int(rs["spec"]!["replicas"]) == Replicas);
            Assert.All(final, p => Assert.Equal((string?)current["metadata"]!["uid"], (string?)ControllerRef(p)?["uid"]));
            Assert.NotEqual(victim.SiloAddress, await management.GetActivationAddress(controller));

            Assert.True(writers.Counts.GetValueOrDefault("ack") > 50, "too few acknowledged writes to prove anything");
            await writers.AssertAcknowledgedAsync();
        }
        finally
        {
            await stop.CancelAsync();
            await load.WaitAsync(TimeSpan.FromSeconds(120));
        }
    }

    private async Task<(bool Moved, long Ms)> TimedMoveAsync(IAddressable grain, SiloAddress silo, TimeSpan timeout)
    {
        var started = Stopwatch.GetTimestamp();
        var moved = await ActivationMover.TryMoveAsync(Grains, grain, silo, timeout);
        return (moved, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private static List<JsonObject> WebPods(IEnumerable<JsonObject> pods) =>
        pods.Where(p => (string?)p["metadata"]?["labels"]?["app"] == "web").ToList();

    private static async Task<List<JsonObject>> WebReplicaSetsAsync(Workloads w)
    {
        var web = await w.GetAsync(Deploy, "web");
        return (await w.ListAsync(Rs)).Where(rs => (string?)ControllerRef(rs)?["uid"] == (string?)web?["metadata"]!["uid"]).ToList();
    }

    private static JsonObject ImagePatch(string image) => new()
    {
        ["spec"] = new JsonObject
        {
            ["template"] = new JsonObject
            {
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = image }) },
            },
        },
    };

    private static string Image(JsonObject pod) => (string)pod["spec"]!["containers"]![0]!["image"]!;

    /// <summary>
    /// Keeps the Deployment's namespace busy: lists its pods and ReplicaSets, scales the unrelated Deployments between
    /// one and three replicas, and is their kubelet (marks their pods Ready; never the web's, which the test holds).
    /// Errors while a silo dies are counted, not thrown.
    /// </summary>
    private sealed class BusyNamespace(Workloads w)
    {
        private readonly ConcurrentDictionary<string, int> counts = new(StringComparer.Ordinal);

        // Rounds that read, marked and scaled without an error.
        private int rounds;
        private long slowest;

        public int Rounds => Volatile.Read(ref rounds);

        public string Summary => $"rounds={Rounds}, slowest round {Volatile.Read(ref slowest)} ms, " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"));

        public async Task RunAsync(CancellationToken stop)
        {
            var round = 0;
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var pods = await w.PodsAsync();
                    await w.ListAsync(Rs);
                    await w.MarkReadyAsync(pods.Where(p => (string?)p["metadata"]?["labels"]?["app"] != "web"));
                    var scaled = Busy[round % Busy.Length];
                    await w.MergePatchAsync(Deploy, scaled, new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 1 + (round / Busy.Length % 3) } });
                    Interlocked.Increment(ref rounds);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    var key = e is ApiException api ? $"{api.Code} {api.Message}" : e.GetType().Name;
                    counts.AddOrUpdate(key, 1, (_, n) => n + 1);
                    await Task.Delay(100, CancellationToken.None);
                }

                round++;
                var took = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (took > Volatile.Read(ref slowest))
                {
                    Volatile.Write(ref slowest, took);
                }
            }
        }
    }
}
