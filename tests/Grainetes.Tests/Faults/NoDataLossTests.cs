using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Tests.Controllers;
using Grainetes.Tests.EndToEnd;
using Grainetes.Tests.Infrastructure;
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
        var writers = new ConfigMapWriters(Grains, Ns, NamesPerWriter);
        await writers.CreateNamespaceAsync();
        var startVersion = await Grains.GetGrain<IResourceCollectionGrain>("configmaps").CurrentResourceVersion();

        using var stop = new CancellationTokenSource(LoadTime);
        var load = writers.RunAsync(Writers, stop.Token);

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

        await load;
        output.WriteLine($"kills: {kills}; operations: {writers.Summary}");
        Assert.True(writers.Violations.IsEmpty, string.Join("\n", writers.Violations));
        Assert.True(kills >= 2, "the load ended before two silos were killed");
        Assert.True(writers.Counts.GetValueOrDefault("ack") > 50, "too few acknowledged writes to prove anything");

        // Every acknowledged write is there exactly as acknowledged (deletes absent), and a list agrees.
        var list = await writers.AssertAcknowledgedAsync();
        var live = writers.Live;

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
                Assert.True(value is not null && writers.Attempted.ContainsKey(value), $"the log holds {e.Type} {e.Name}@{e.ResourceVersion} with a value no writer sent: {value}");
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

    private static Task<T> RetryAsync<T>(Func<Task<T>> read) => ConfigMapWriters.RetryAsync(read);
}
