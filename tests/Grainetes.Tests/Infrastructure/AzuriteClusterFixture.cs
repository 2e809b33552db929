using Orleans.TestingHost;

namespace Grainetes.Tests.Infrastructure;

/// <summary>
/// A class or collection fixture holding one <see cref="AzuriteTestCluster"/> whose silos run
/// <typeparamref name="TSiloConfigurator"/>; <see cref="RestartAsync"/> replaces the cluster on the same storage.
/// </summary>
public abstract class AzuriteClusterFixture<TSiloConfigurator>(string name, short silos = 1) : IAsyncLifetime
    where TSiloConfigurator : ISiloConfigurator, new()
{
    private AzuriteTestCluster? host;

    public TestCluster Cluster => host!.Cluster;

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>More host configuration for every silo, read once when the cluster first starts.</summary>
    protected virtual IReadOnlyDictionary<string, string?>? Configuration => null;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<TSiloConfigurator>(name, silos, Configuration);

    /// <summary>Stops every silo and starts a new cluster on the same storage: state must come back from it.</summary>
    public Task RestartAsync() => host!.RestartAsync();

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }
}
