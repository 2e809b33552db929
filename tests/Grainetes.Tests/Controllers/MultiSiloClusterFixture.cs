using Grainetes.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Grainetes.Tests.Controllers;

/// <summary>Two silos with the store and the workload controllers (no kubelet) on a private, real Azurite.</summary>
public sealed class MultiSiloClusterFixture : IAsyncLifetime
{
    private AzuriteTestCluster? host;

    public TestCluster Cluster => host!.Cluster;

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The reminder table as the silos see it (Azure Table storage).</summary>
    public IReminderTable Reminders => ((InProcessSiloHandle)Cluster.Primary!).SiloHost!.Services.GetRequiredService<IReminderTable>();

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<FailoverSiloConfigurator>("multisilo", silos: 2);

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }
}
