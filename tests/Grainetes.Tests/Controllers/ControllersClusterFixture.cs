using Grainetes.Abstractions.Hosting;
using Grainetes.Grains.Controllers;
using Grainetes.Grains.Hosting;
using Grainetes.Host.Azurite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Grainetes.Tests.Controllers;

/// <summary>A TestingHost silo with the store and the workload controllers on a private, real Azurite. No kubelet runs.</summary>
public sealed class ControllersClusterFixture : IAsyncLifetime
{
    private readonly string dataDirectory = Path.Combine(Path.GetTempPath(), "grainetes-controllers-" + Guid.NewGuid().ToString("N")[..8]);
    private AzuriteProcess? azurite;

    public TestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>The CronJob controller's clock (only that controller's): tests move it from slot to slot.</summary>
    public FakeTimeProvider CronClock => ((InProcessSiloHandle)Cluster.Primary!).SiloHost!.Services.GetRequiredService<FakeTimeProvider>();

    public async Task InitializeAsync()
    {
        azurite = await AzuriteProcess.StartAsync(AzuriteInstallation.Locate().PackageDirectory, dataDirectory, 0, NullLogger.Instance);
        var builder = new TestClusterBuilder(1);
        builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GrainetesTest:ConnectionString"] = azurite.ConnectionString,
        }));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.StopAllSilosAsync();
            await Cluster.DisposeAsync();
        }
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
            var cronClock = new FakeTimeProvider(DateTimeOffset.UtcNow);
            siloBuilder.Services.AddSingleton(cronClock);
            siloBuilder.Services.Configure<CronJobControllerOptions>(o => o.Clock = cronClock);
        }
    }
}
