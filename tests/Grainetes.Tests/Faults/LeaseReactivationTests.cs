using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Controllers;
using Grainetes.Grains.Hosting;
using Grainetes.NodeAgent.Hosting;
using Grainetes.NodeAgent.Runtime;
using Grainetes.Tests.EndToEnd;
using Grainetes.Tests.Infrastructure;
using Grainetes.Tests.Kubelet;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.TestingHost;
using static Grainetes.Tests.Infrastructure.StoredObjects;

namespace Grainetes.Tests.Faults;

/// <summary>
/// Node leases whose grains are deactivated and moved between silos again and again while the kubelets keep
/// renewing: a reactivated lease grain comes back with its coarsely persisted (older) renewTime, and neither that
/// nor the moves may make a live node look silent. The controller times leases by the renewals it sees only.
/// </summary>
public sealed class LeaseReactivationTests : IAsyncLifetime
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(8);
    private AzuriteTestCluster? host;

    private IGrainFactory Grains => host!.Grains;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<SiloConfigurator>("leasemove", silos: 2);

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task NodesStayReadyWhileTheirLeaseGrainsAreReactivatedAndMoved()
    {
        var nodes = host!.Cluster.Silos.Select(s => NodeName(s.Name)).ToList();
        foreach (var name in nodes)
        {
            await Grains.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", name).GrainKey).Create(
                new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = new JsonObject() }.ToJsonString(),
                WriteOptions.Default);
            await Poll.UntilAsync(() => LeaseRenewTimeAsync(Grains, name), r => r is not null, TimeSpan.FromSeconds(60), $"node {name}'s first lease");
        }

        await Grains.GetGrain<INodeLifecycleControllerGrain>("default").Start();

        // Four grace periods of lease grains deactivated or moved every second, more often than the kubelets renew.
        var until = DateTime.UtcNow + 4 * Grace;
        var moves = 0;
        while (DateTime.UtcNow < until)
        {
            foreach (var name in nodes)
            {
                var lease = Lease(name).AsReference<IGrainManagementExtension>();
                await (moves % 2 == 0 ? lease.MigrateOnIdle() : lease.DeactivateOnIdle());
            }

            moves++;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(1);
            while (DateTime.UtcNow < deadline)
            {
                foreach (var name in nodes)
                {
                    AssertReady(await GetAsync(Grains, "nodes", "", name), name);
                }

                await Task.Delay(200);
            }
        }

        // The first renewal of a new activation is persisted: a lease grain reactivated after it shows that renewal,
        // not the row of up to a minute before.
        var node = nodes[0];
        var before = DateTimeOffset.Parse((await LeaseRenewTimeAsync(Grains, node))!, CultureInfo.InvariantCulture);
        await Lease(node).AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        await Poll.UntilAsync(
            async () => DateTimeOffset.Parse((await LeaseRenewTimeAsync(Grains, node))!, CultureInfo.InvariantCulture),
            r => r > before,
            TimeSpan.FromSeconds(60),
            "a renewal after the reactivation");
        await Lease(node).AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        var reloaded = DateTimeOffset.Parse((await LeaseRenewTimeAsync(Grains, node))!, CultureInfo.InvariantCulture);
        Assert.True(reloaded > before, $"the reactivated lease went back to {reloaded:O}, not after {before:O}");
        Assert.True(moves >= 8, $"only {moves} rounds of moves");
    }

    private static void AssertReady(JsonObject? node, string name)
    {
        var taints = (node?["spec"]?["taints"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        Assert.True(taints.Count == 0, $"node {name} was marked unreachable while it renewed: {node}");
        var ready = (node?["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "Ready");
        Assert.True(ready is null || (string?)ready["status"] == "True", $"node {name} was marked not ready while it renewed: {node}");
    }

    private IObjectGrain Lease(string node) =>
        Grains.GetGrain<IObjectGrain>(new ObjectKey("leases.coordination.k8s.io", "kube-node-lease", node).GrainKey);

    /// <summary>Each silo is a node named after the silo, renewing its lease every 2 s under an 8 s grace.</summary>
    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var config = siloBuilder.Configuration;
            var nodeName = NodeNameOf(config);
            siloBuilder.AddGrainetesGrains(o => o.ConnectionString = siloBuilder.Configuration[AzuriteTestCluster.ConnectionStringKey]!);
            siloBuilder.AddGrainetesNodeAgent(o =>
            {
                o.NodeName = nodeName;
                o.HostIP = "127.0.0.1";
                o.LeaseRenewInterval = TimeSpan.FromSeconds(2);
            });
            siloBuilder.Services.AddSingleton<IContainerRuntime>(sp => new FakeContainerRuntime(sp.GetRequiredService<TimeProvider>()));
            siloBuilder.Services.Configure<NodeLifecycleOptions>(o =>
            {
                o.NodeMonitorGracePeriod = Grace;
                o.PodEvictionTimeout = TimeSpan.FromMinutes(10);
                o.NodeMonitorPeriod = TimeSpan.FromMilliseconds(300);
            });
        }
    }
}
