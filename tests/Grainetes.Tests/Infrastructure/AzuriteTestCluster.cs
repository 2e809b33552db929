using Grainetes.Abstractions.Hosting;
using Grainetes.Host.Azurite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.TestingHost;

namespace Grainetes.Tests.Infrastructure;

/// <summary>
/// An Orleans TestingHost cluster on its own real Azurite (fresh data directory, free port). What runs in the
/// silos is the configurator's choice; it reads the storage account from <see cref="ConnectionStringKey"/>. The
/// Azurite outlives the silos: <see cref="RestartAsync"/> replaces the whole cluster, so state must come back from storage.
/// </summary>
public sealed class AzuriteTestCluster : IAsyncDisposable
{
    public const string ConnectionStringKey = "GrainetesTest:ConnectionString";

    private AzuriteProcess azurite;
    private readonly string dataDirectory;
    private readonly Func<Task<TestCluster>> deploy;

    private AzuriteTestCluster(AzuriteProcess azurite, string dataDirectory, Func<Task<TestCluster>> deploy, TestCluster cluster)
    {
        this.azurite = azurite;
        this.dataDirectory = dataDirectory;
        this.deploy = deploy;
        Cluster = cluster;
    }

    public TestCluster Cluster { get; private set; }

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <param name="configuration">More host configuration for every silo (options bound from configuration).</param>
    public static async Task<AzuriteTestCluster> StartAsync<TSiloConfigurator>(string name, short silos = 1, IReadOnlyDictionary<string, string?>? configuration = null)
        where TSiloConfigurator : ISiloConfigurator, new()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), $"grainetes-{name}-{Guid.NewGuid().ToString("N")[..8]}");
        var azurite = await AzuriteProcess.StartAsync(AzuriteInstallation.Locate().PackageDirectory, dataDirectory, 0, NullLogger.Instance);

        // Grain state rows are keyed by the service id: a restarted cluster must share it to see them.
        var serviceId = $"{name}-{Guid.NewGuid().ToString("N")[..8]}";
        async Task<TestCluster> DeployAsync()
        {
            var builder = new TestClusterBuilder(silos);
            builder.Options.ServiceId = serviceId;
            builder.Options.ClusterId = serviceId;
            builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [ConnectionStringKey] = azurite.ConnectionString,
            }));
            if (configuration is not null)
            {
                builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(configuration));
            }

            builder.AddSiloBuilderConfigurator<TSiloConfigurator>();
            builder.AddClientBuilderConfigurator<ClientConfigurator>();
            var cluster = builder.Build();
            await cluster.DeployAsync();
            return cluster;
        }

        return new AzuriteTestCluster(azurite, dataDirectory, DeployAsync, await DeployAsync());
    }

    /// <summary>Stops every silo and starts a new cluster on the same storage and service id.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        Cluster = await deploy();
    }

    /// <summary>Stops the cluster's Azurite (gracefully), leaving its data for <see cref="StartStorageAsync"/>.</summary>
    public Task StopStorageAsync() => azurite.StopAsync();

    /// <summary>Starts the cluster's Azurite again on the same port and data, so the silos' connection string still holds.</summary>
    public async Task StartStorageAsync()
    {
        var port = azurite.Port;
        await azurite.DisposeAsync();
        azurite = await AzuriteProcess.StartAsync(AzuriteInstallation.Locate().PackageDirectory, dataDirectory, port, NullLogger.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await azurite.DisposeAsync();
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind harms nothing.
        }
    }

    private async Task StopAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Services.AddGrainetesSerialization();
    }
}
