using Grainetes.Grains.Cloud;
using Grainetes.Grains.Hosting;
using Grainetes.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Grainetes.Tests.Cloud;

/// <summary>
/// A TestingHost silo with the store, the controllers and the cloud controller on a private, real Azurite that
/// outlives it (<see cref="RestartAsync"/> replaces the cluster; state must come back from storage). The silo also
/// registers <see cref="FakeCloudProvider"/> under <see cref="FakeCloudProvider.Name"/>; <paramref name="provider"/>
/// picks the one in use, as <c>Cloud:Provider</c> does in a real host.
/// </summary>
public abstract class LoadBalancerClusterFixture(string provider) : AzuriteClusterFixture<LoadBalancerClusterFixture.SiloConfigurator>("lb")
{
    /// <summary>The local provider's range (<c>Cloud:Local:AddressRange</c>), kept across restarts.</summary>
    public string AddressRange { get; } = LoopbackRanges.Next();

    /// <summary>The fake provider of the (first) silo, to see what the controller asked of it.</summary>
    public FakeCloudProvider Fake =>
        (FakeCloudProvider)((InProcessSiloHandle)Cluster.Primary!).SiloHost!.Services.GetRequiredKeyedService<ICloudProvider>(FakeCloudProvider.Name);

    protected override IReadOnlyDictionary<string, string?> Configuration => new Dictionary<string, string?>
    {
        ["Cloud:Provider"] = provider,
        ["Cloud:Local:AddressRange"] = AddressRange,
    };

    public sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder
                .AddGrainetesGrains(o => o.ConnectionString = siloBuilder.Configuration[AzuriteTestCluster.ConnectionStringKey]!)
                .AddGrainetesControllers()
                .AddGrainetesCloud();

            // A second provider, registered by name only: the controller must serve it without knowing it.
            siloBuilder.Services.AddKeyedSingleton<ICloudProvider, FakeCloudProvider>(FakeCloudProvider.Name);

            // Repair runs only when a test asks, so no grace is needed.
            siloBuilder.Services.Configure<LocalCloudOptions>(o => o.RepairGracePeriod = TimeSpan.Zero);
        }
    }
}
