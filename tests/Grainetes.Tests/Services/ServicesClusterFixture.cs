using Grainetes.Abstractions.Hosting;
using Grainetes.Grains.Hosting;
using Grainetes.Host.Azurite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.TestingHost;

namespace Grainetes.Tests.Services;

/// <summary>
/// A TestingHost silo with the store and the controllers on a private, real Azurite, which outlives the
/// silo: <see cref="RestartAsync"/> replaces the whole cluster, so state must come back from storage.
/// </summary>
public sealed class ServicesClusterFixture : IAsyncLifetime
{
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "grainetes-services-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string serviceId = "services-" + Guid.NewGuid().ToString("N")[..8];
    private AzuriteProcess? azurite;

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    public async Task InitializeAsync()
    {
        azurite = await AzuriteProcess.StartAsync(AzuriteInstallation.Locate().PackageDirectory, dataDirectory, 0, NullLogger.Instance);
        Cluster = await StartClusterAsync();
    }

    /// <summary>Stops every silo and starts a new cluster on the same storage.</summary>
    public async Task RestartAsync()
    {
        await StopClusterAsync();
        Cluster = await StartClusterAsync();
    }

    public async Task DisposeAsync()
    {
        await StopClusterAsync();
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }

        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind harms nothing.
        }
    }

    private async Task<TestCluster> StartClusterAsync()
    {
        var builder = new TestClusterBuilder(1);
        // Grain state rows are keyed by the service id: a restarted cluster must share it to see them.
        builder.Options.ServiceId = serviceId;
        builder.Options.ClusterId = serviceId;
        builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GrainetesTest:ConnectionString"] = azurite!.ConnectionString,
        }));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private async Task StopClusterAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
            Cluster = null!;
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Services.AddGrainetesSerialization();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder
                .AddGrainetesGrains(o => o.ConnectionString = siloBuilder.Configuration["GrainetesTest:ConnectionString"]!)
                .AddGrainetesControllers();

            // Repair runs only when a test asks (its reminder is minutes away), so no grace is needed here.
            siloBuilder.Services.Configure<Grainetes.Grains.Services.ServiceNetworkOptions>(o => o.RepairGracePeriod = TimeSpan.Zero);
        }
    }
}
