using Grainetes.Grains.Hosting;
using Grainetes.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Grainetes.Tests.Store;

/// <summary>An Orleans TestingHost cluster running the store grains on a private, real Azurite.</summary>
public sealed class StoreClusterFixture : IAsyncLifetime
{
    public const int RetainedEvents = 50;

    /// <summary>Small enough that a few large objects push older events out of memory to the durable log.</summary>
    public const long MemoryEventBytes = 64 * 1024;

    private AzuriteTestCluster? host;

    public TestCluster Cluster => host!.Cluster;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<SiloConfigurator>("store");

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.AddGrainetesGrains(o =>
            {
                o.ConnectionString = siloBuilder.Configuration[AzuriteTestCluster.ConnectionStringKey]!;
                o.RetainedEvents = RetainedEvents;
                o.MemoryEventBytes = MemoryEventBytes;
            });
    }
}
