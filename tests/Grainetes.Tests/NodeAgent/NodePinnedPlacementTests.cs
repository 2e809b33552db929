using Grainetes.NodeAgent.Placement;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Grainetes.Tests.NodeAgent;

public interface IPinnedProbeGrain : IGrainWithStringKey
{
    Task<string> SiloName();
}

/// <summary>A grain with the node agent's placement, reporting which silo it landed on.</summary>
[NodePinnedPlacement]
public sealed class PinnedProbeGrain(ILocalSiloDetails silo) : Grain, IPinnedProbeGrain
{
    public Task<string> SiloName() => Task.FromResult(silo.Name);
}

/// <summary>Node-pinned placement puts a grain keyed by a node name on that node's silo, and nowhere else.</summary>
public sealed class NodePinnedPlacementTests : IAsyncLifetime
{
    private TestCluster cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new TestClusterBuilder(3);
        builder.AddSiloBuilderConfigurator<Configurator>();
        cluster = builder.Build();
        await cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await cluster.StopAllSilosAsync();
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task AGrainKeyedByANodeNameRunsOnThatNodesSilo()
    {
        var names = cluster.Silos.Select(s => s.Name).ToList();
        Assert.Equal(3, names.Distinct().Count());
        foreach (var name in names)
        {
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(name, await cluster.GrainFactory.GetGrain<IPinnedProbeGrain>(name).SiloName());
            }
        }
    }

    [Fact]
    public async Task ANodeWithoutASiloCannotHostItsGrain()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => cluster.GrainFactory.GetGrain<IPinnedProbeGrain>("no-such-node").SiloName());
    }

    private sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.Services.AddPlacementDirector<NodePinnedPlacement, NodePinnedPlacementDirector>();
    }
}
