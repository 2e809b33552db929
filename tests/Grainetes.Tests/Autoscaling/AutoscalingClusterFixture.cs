using Grainetes.Grains.Controllers;
using Grainetes.Grains.Hosting;
using Grainetes.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Grainetes.Tests.Autoscaling;

/// <summary>
/// Two TestingHost silos with the store and the controllers on a private, real Azurite. No kubelet runs: tests mark
/// pods ready and report usage into the node metrics grain, as a node agent's sampler would. The HPA controller
/// evaluates every 500 ms and reads its stabilization windows on each silo's fake clock, which tests move.
/// </summary>
public sealed class AutoscalingClusterFixture : IAsyncLifetime
{
    private AzuriteTestCluster? host;

    public TestCluster Cluster => host!.Cluster;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<SiloConfigurator>("autoscaling", silos: 2);

    /// <summary>Moves the HPA controller's clock forward on every silo (its grain may live on either).</summary>
    public void Advance(TimeSpan by)
    {
        foreach (var silo in Cluster.Silos.OfType<InProcessSiloHandle>())
        {
            silo.SiloHost.Services.GetRequiredService<FakeTimeProvider>().Advance(by);
        }
    }

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
            var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
            siloBuilder.Services.AddSingleton(clock);
            siloBuilder.Services.Configure<HorizontalPodAutoscalerControllerOptions>(o =>
            {
                o.SyncPeriod = TimeSpan.FromMilliseconds(500);
                o.Clock = clock;
            });
        }
    }
}
