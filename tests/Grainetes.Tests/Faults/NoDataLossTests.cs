using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Tests.Controllers;
using Grainetes.Tests.EndToEnd;
using Grainetes.Tests.Infrastructure;
using Grainetes.Machinery.Errors;
using Orleans.Core.Internal;
using Orleans.Runtime.Placement;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Grainetes.Tests.Faults;

/// <summary>
/// No data loss, proven: three silos on a real Azurite, concurrent writers creating, replacing and deleting
/// ConfigMaps through the object grains (as the API does) while secondary silos are killed hard and replaced.
/// Every acknowledged write must then be present exactly as acknowledged, nothing unacknowledged half-present, and
/// the change log must agree with the objects.
/// </summary>
public sealed class NoDataLossTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ns = "dataloss";
    private const int Writers = 6;
    private const int NamesPerWriter = 8;
    private static readonly TimeSpan LoadTime = TimeSpan.FromSeconds(30);
    private AzuriteTestCluster? host;

    private TestCluster Cluster => host!.Cluster;

    private IGrainFactory Grains => host!.Grains;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<FailoverSiloConfigurator>("dataloss", silos: 3);

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task EveryAcknowledgedWriteSurvivesSilosKilledUnderConcurrentLoad()
    {
        await Grains.GetGrain<IObjectGrain>(new ObjectKey("namespaces", "", Ns).GrainKey)
            .Create(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = Ns } }.ToJsonString(), WriteOptions.Default);
        var startVersion = await Grains.GetGrain<IResourceCollectionGrain>("configmaps").CurrentResourceVersion();

        var acknowledged = new ConcurrentDictionary<string, AcknowledgedWrite>(StringComparer.Ordinal);
        var attempted = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var violations = new ConcurrentQueue<string>();
        var counts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        using var stop = new CancellationTokenSource(LoadTime);
        var writers = Enumerable.Range(0, Writers)
            .Select(w => Task.Run(() => WriteAsync(w, acknowledged, attempted, violations, counts, stop.Token)))
            .ToList();

        // Hard kills of the secondary silo that runs the kind's collection grain (moved there first), each replaced
        // by a new silo, while the writers run: every kill cuts writes between their commit and their log entry.
        var kills = 0;
        while (!stop.IsCancellationRequested && kills < 3)
        {
            await Task.Delay(TimeSpan.FromSeconds(6));
            var victim = await MoveCollectionAsync(Cluster.SecondarySilos[Random.Shared.Next(Cluster.SecondarySilos.Count)]);
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} killing {victim.Name}");
            await Cluster.KillSiloAsync(victim);
            await Cluster.StartAdditionalSiloAsync();
            kills++;
        }

        await Task.WhenAll(writers);
        output.WriteLine($"kills: {kills}; operations: {string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"))}");
        Assert.True(violations.IsEmpty, string.Join("\n", violations));
        Assert.True(kills >= 2, "the load ended before two silos were killed");
        Assert.True(counts.GetValueOrDefault("ack") > 50, "too few acknowledged writes to prove anything");

        // Every acknowledged write is there exactly as acknowledged; deletes are absent.
        foreach (var ack in acknowledged.Values)
        {
            var json = await RetryAsync(() => Grains.GetGrain<IObjectGrain>(new ObjectKey("configmaps", Ns, ack.Name).GrainKey).Get());
            if (ack.Deleted)
            {
                Assert.True(json is null, $"{ack.Name} was deleted at {ack.ResourceVersion} but reads {json}");
            }
            else
            {
                Assert.True(json is not null, $"{ack.Name} acknowledged at {ack.ResourceVersion} is missing");
                var obj = JsonNode.Parse(json)!;
                Assert.Equal(ack.ResourceVersion, (string?)obj["metadata"]!["resourceVersion"]);
                Assert.Equal(ack.Value, (string?)obj["data"]?["v"]);
            }
        }

        // A list agrees with the objects.
        var list = await RetryAsync(() => Grains.GetGrain<IResourceCollectionGrain>("configmaps").List(new ListRequest { Namespace = Ns }));
        var listed = list.Items.Select(i => JsonNode.Parse(i)!).ToDictionary(o => (string)o["metadata"]!["name"]!, o => (string)o["metadata"]!["resourceVersion"]!);
        var live = acknowledged.Values.Where(a => !a.Deleted).ToDictionary(a => a.Name, a => a.ResourceVersion);
        Assert.Equal(live.OrderBy(p => p.Key), listed.OrderBy(p => p.Key));

        // The change log, replayed from before the load, ends in the same state and holds only attempted values.
        var replayed = new Dictionary<string, string>(StringComparer.Ordinal);
        var after = startVersion;
        var latest = list.ResourceVersion;
        while (after < latest)
        {
            var batch = await RetryAsync(() => Grains.GetGrain<IResourceCollectionGrain>("configmaps").Poll(after, Ns, TimeSpan.Zero));
            Assert.False(batch.Gone, "the change log was compacted past the test's start");
            foreach (var e in batch.Events)
            {
                var value = (string?)JsonNode.Parse(e.Json)!["data"]?["v"];
                Assert.True(value is not null && attempted.ContainsKey(value), $"the log holds {e.Type} {e.Name}@{e.ResourceVersion} with a value no writer sent: {value}");
                if (e.Type == WatchEventType.Deleted)
                {
                    replayed.Remove(e.Name);
                }
                else
                {
                    replayed[e.Name] = e.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            Assert.True(batch.LatestResourceVersion > after || batch.Events.Count > 0, $"the change log does not move past {after}");
            after = batch.Events.Count > 0 ? batch.Events[^1].ResourceVersion : batch.LatestResourceVersion;
        }

        Assert.Equal(live.OrderBy(p => p.Key), replayed.OrderBy(p => p.Key));
    }

    /// <summary>
    /// One writer owns its names. A write that fails may or may not have committed: the writer reads the object back
    /// and it must be either as last acknowledged or exactly as attempted, never anything else.
    /// </summary>
    private async Task WriteAsync(
        int writer,
        ConcurrentDictionary<string, AcknowledgedWrite> acknowledged,
        ConcurrentDictionary<string, byte> attempted,
        ConcurrentQueue<string> violations,
        ConcurrentDictionary<string, int> counts,
        CancellationToken stop)
    {
        var random = new Random(writer);
        var seq = 0;
        while (!stop.IsCancellationRequested)
        {
            var name = $"w{writer}-{random.Next(NamesPerWriter)}";
            var grain = Grains.GetGrain<IObjectGrain>(new ObjectKey("configmaps", Ns, name).GrainKey);
            acknowledged.TryGetValue(name, out var before);
            var exists = before is { Deleted: false };
            var value = $"w{writer}-{seq++}";
            attempted[value] = 0;
            var delete = exists && random.Next(4) == 0;
            try
            {
                string json;
                if (delete)
                {
                    json = (await grain.Delete(new DeleteOptions { PreconditionResourceVersion = before!.ResourceVersion })).Json;
                }
                else
                {
                    var body = ConfigMap(name, value, exists ? before!.ResourceVersion : null);
                    json = exists ? await grain.Update(body, WriteOptions.Default) : await grain.Create(body, WriteOptions.Default);
                }

                var rv = (string)JsonNode.Parse(json)!["metadata"]!["resourceVersion"]!;
                acknowledged[name] = new AcknowledgedWrite(name, delete ? null : value, rv, delete);
                counts.AddOrUpdate("ack", 1, (_, n) => n + 1);
            }
            catch (Exception ex) when (ex is not ApiException { Code: not 503 })
            {
                counts.AddOrUpdate("failed", 1, (_, n) => n + 1);
                var current = await RetryAsync(grain.Get);
                var node = current is null ? null : JsonNode.Parse(current);
                var currentValue = (string?)node?["data"]?["v"];
                var currentRv = (string?)node?["metadata"]?["resourceVersion"];
                var asBefore = before is null || before.Deleted ? current is null : currentRv == before.ResourceVersion && currentValue == before.Value;
                var asAttempted = delete ? current is null : currentValue == value;
                if (!asBefore && !asAttempted)
                {
                    violations.Enqueue($"{name}: after a failed write ({ex.GetType().Name}) it reads {current ?? "absent"}; acknowledged was {before}, attempted {(delete ? "delete" : value)}");
                }

                // What a read shows, a list (the change log's view) must show too, and soon: a stored change whose
                // log entry was lost would otherwise stay invisible to lists and watches.
                string? listed = null;
                var consistentBy = DateTime.UtcNow.AddSeconds(30);
                while ((listed = await ListedVersionAsync(name)) != currentRv && DateTime.UtcNow < consistentBy)
                {
                    await Task.Delay(200, CancellationToken.None);
                }

                if (listed != currentRv)
                {
                    violations.Enqueue($"{name}: after a failed write ({ex.GetType().Name}) it reads version {currentRv ?? "absent"} but lists as {listed ?? "absent"}");
                }

                // What is there now is what later writes build on, as a client re-reading would.
                acknowledged[name] = current is null
                    ? new AcknowledgedWrite(name, null, before?.ResourceVersion ?? "0", Deleted: true)
                    : new AcknowledgedWrite(name, currentValue, currentRv!, Deleted: false);
            }
            catch (ApiException ex)
            {
                violations.Enqueue($"{name}: {ex.Code} {ex.Message} for a write its only writer expected to succeed");
            }
        }
    }

    private async Task<string?> ListedVersionAsync(string name)
    {
        var list = await RetryAsync(() => Grains.GetGrain<IResourceCollectionGrain>("configmaps").List(new ListRequest { Namespace = Ns, FieldSelector = "metadata.name=" + name }));
        return list.Items.Count == 0 ? null : (string?)JsonNode.Parse(list.Items[0])!["metadata"]!["resourceVersion"];
    }

    /// <summary>
    /// Moves the collection grain to <paramref name="target"/> (best effort: a busy grain may not go idle in time)
    /// and answers the secondary silo to kill: the collection's, when it is on a secondary.
    /// </summary>
    private async Task<SiloHandle> MoveCollectionAsync(SiloHandle target)
    {
        var collection = Grains.GetGrain<IResourceCollectionGrain>("configmaps");
        var management = Grains.GetGrain<IManagementGrain>(0);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        SiloAddress? at;
        while (!target.SiloAddress.Equals(at = await RetryAsync(async () => await management.GetActivationAddress(collection))) && DateTime.UtcNow < deadline)
        {
            RequestContext.Set(IPlacementDirector.PlacementHintKey, target.SiloAddress);
            try
            {
                await collection.AsReference<IGrainManagementExtension>().MigrateOnIdle();
            }
            finally
            {
                RequestContext.Remove(IPlacementDirector.PlacementHintKey);
            }

            await RetryAsync(() => collection.CurrentResourceVersion());
            await Task.Delay(500);
        }

        return Cluster.SecondarySilos.FirstOrDefault(s => s.SiloAddress.Equals(at)) ?? target;
    }

    private static string ConfigMap(string name, string value, string? resourceVersion)
    {
        var meta = new JsonObject { ["name"] = name, ["namespace"] = Ns };
        if (resourceVersion is not null)
        {
            meta["resourceVersion"] = resourceVersion;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = meta, ["data"] = new JsonObject { ["v"] = value } }.ToJsonString();
    }

    /// <summary>Reads through a silo's death: calls to a dead silo fail until membership declares it dead.</summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> read)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                return await read();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
