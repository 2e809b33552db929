using Grainetes.Grains.Hosting;
using Grainetes.Tests.Infrastructure;
using Orleans.TestingHost;

namespace Grainetes.Tests.Scheduling;

/// <summary>
/// Two silos running the store grains on a private, real Azurite: enough to show that the scheduler, woken on
/// both, is one activation.
/// </summary>
public sealed class SchedulerClusterFixture : IAsyncLifetime
{
    private AzuriteTestCluster? host;

    public TestCluster Cluster => host!.Cluster;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<SiloConfigurator>("scheduler", silos: 2);

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
            siloBuilder.AddGrainetesGrains(o => o.ConnectionString = siloBuilder.Configuration[AzuriteTestCluster.ConnectionStringKey]!);
    }
}
