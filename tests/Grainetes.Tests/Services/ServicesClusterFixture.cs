using Grainetes.Grains.Hosting;
using Grainetes.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Grainetes.Tests.Services;

/// <summary>
/// A TestingHost silo with the store and the controllers on a private, real Azurite, which outlives the
/// silo: <see cref="RestartAsync"/> replaces the whole cluster, so state must come back from storage.
/// </summary>
public sealed class ServicesClusterFixture : IAsyncLifetime
{
    private AzuriteTestCluster? host;

    public TestCluster Cluster => host!.Cluster;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<SiloConfigurator>("services");

    /// <summary>Stops every silo and starts a new cluster on the same storage.</summary>
    public Task RestartAsync() => host!.RestartAsync();

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder
                .AddGrainetesGrains(o => o.ConnectionString = siloBuilder.Configuration[AzuriteTestCluster.ConnectionStringKey]!)
                .AddGrainetesControllers();

            // Repair runs only when a test asks (its reminder is minutes away), so no grace is needed here.
            siloBuilder.Services.Configure<Grainetes.Grains.Services.ServiceNetworkOptions>(o => o.RepairGracePeriod = TimeSpan.Zero);
        }
    }
}
