using Grainetes.Grains.Controllers;
using Grainetes.Grains.Hosting;
using Grainetes.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Grainetes.Tests.Controllers;

/// <summary>A TestingHost silo with the store and the workload controllers on a private, real Azurite. No kubelet runs.</summary>
public sealed class ControllersClusterFixture : IAsyncLifetime
{
    private AzuriteTestCluster? host;

    public TestCluster Cluster => host!.Cluster;

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The CronJob controller's clock (only that controller's): tests move it from slot to slot.</summary>
    /// <summary>The Job controller's first pod failure back-off here (10 s in Kubernetes), doubling from there.</summary>
    public static readonly TimeSpan JobPodFailureBackoff = TimeSpan.FromSeconds(1);

    public FakeTimeProvider CronClock => ((InProcessSiloHandle)Cluster.Primary!).SiloHost!.Services.GetRequiredService<FakeTimeProvider>();

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<SiloConfigurator>("controllers");

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
            var cronClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
            siloBuilder.Services.AddSingleton(cronClock);
            siloBuilder.Services.Configure<CronJobControllerOptions>(o => o.Clock = cronClock);
            siloBuilder.Services.Configure<JobControllerOptions>(o => o.PodFailureBackoff = JobPodFailureBackoff);
        }
    }
}
