using Grainetes.Grains.Hosting;
using Grainetes.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Grainetes.Tests.Services;

/// <summary>
/// A TestingHost silo with the store and the controllers on a private, real Azurite, which outlives the
/// silo: <see cref="RestartAsync"/> replaces the whole cluster, so state must come back from storage.
/// </summary>
public sealed class ServicesClusterFixture() : AzuriteClusterFixture<ServicesClusterFixture.SiloConfigurator>("services")
{
    public sealed class SiloConfigurator : ISiloConfigurator
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
