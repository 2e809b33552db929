using Grainetes.Abstractions.Hosting;
using Grainetes.Grains.Cloud;
using Grainetes.Grains.Hosting;
using Grainetes.Host.Azurite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.TestingHost;

namespace Grainetes.Tests.Cloud;

/// <summary>
/// A TestingHost silo with the store, the controllers and the cloud controller on a private, real Azurite that
/// outlives it (<see cref="RestartAsync"/> replaces the cluster; state must come back from storage). The silo also
/// registers <see cref="FakeCloudProvider"/> under <see cref="FakeCloudProvider.Name"/>; <paramref name="provider"/>
/// picks the one in use, as <c>Cloud:Provider</c> does in a real host.
/// </summary>
public abstract class LoadBalancerClusterFixture(string provider) : IAsyncLifetime
{
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "grainetes-lb-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string serviceId = "lb-" + Guid.NewGuid().ToString("N")[..8];
    private AzuriteProcess? azurite;

    public TestCluster Cluster { get; private set; } = null!;

    /// <summary>The local provider's range (<c>Cloud:Local:AddressRange</c>), kept across restarts.</summary>
    public string AddressRange { get; } = LoopbackRanges.Next();

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The fake provider of the (first) silo, to see what the controller asked of it.</summary>
    public FakeCloudProvider Fake =>
        (FakeCloudProvider)((InProcessSiloHandle)Cluster.Primary!).SiloHost!.Services.GetRequiredKeyedService<ICloudProvider>(FakeCloudProvider.Name);

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
        builder.Options.ServiceId = serviceId;
        builder.Options.ClusterId = serviceId;
        builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GrainetesTest:ConnectionString"] = azurite!.ConnectionString,
            ["Cloud:Provider"] = provider,
            ["Cloud:Local:AddressRange"] = AddressRange,
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
                .AddGrainetesControllers()
                .AddGrainetesCloud();

            // A second provider, registered by name only: the controller must serve it without knowing it.
            siloBuilder.Services.AddKeyedSingleton<ICloudProvider, FakeCloudProvider>(FakeCloudProvider.Name);

            // Repair runs only when a test asks, so no grace is needed.
            siloBuilder.Services.Configure<LocalCloudOptions>(o => o.RepairGracePeriod = TimeSpan.Zero);
        }
    }
}
