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
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.TestingHost;
using static Grainetes.Tests.Infrastructure.StoredObjects;
using Xunit.Abstractions;

namespace Grainetes.Tests.Faults;

/// <summary>
/// Two silos, each its node's kubelet, whose wall clocks disagree by 10 s (one 5 s ahead, one 5 s behind) under a
/// 12 s grace and 3 s lease renewals. Judged by the renewTime stamps alone, whichever silo runs the lifecycle
/// controller would see the other node's lease up to 13 s old: the controller must time leases by its own
/// observation of their change, and still mark a node whose lease truly stops.
/// </summary>
public sealed class ClockSkewTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(12);
    private AzuriteTestCluster? host;

    private IGrainFactory Grains => host!.Grains;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<SiloConfigurator>("clockskew", silos: 2);

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task SkewedNodesThatRenewStayReadyAndANodeWhoseLeaseStopsIsMarked()
    {
        var nodes = host!.Cluster.Silos.Select(s => NodeName(s.Name)).ToList();
        output.WriteLine("silos: " + string.Join(", ", nodes));
        foreach (var name in nodes.Append("ghost"))
        {
            await CreateAsync("nodes", "", name, new JsonObject { ["spec"] = new JsonObject() });
        }

        await CreateAsync("leases.coordination.k8s.io", "kube-node-lease", "ghost", new JsonObject
        {
            ["spec"] = new JsonObject { ["holderIdentity"] = "ghost", ["leaseDurationSeconds"] = 40, ["renewTime"] = Micro(DateTimeOffset.UtcNow) },
        });
        await Grains.GetGrain<INodeLifecycleControllerGrain>("default").Start();

        // Three grace periods of renewals: the skewed nodes must never be marked, and their leases must really move.
        var firstRenewals = new Dictionary<string, string?>();
        foreach (var name in nodes)
        {
            firstRenewals[name] = await LeaseRenewTimeAsync(Grains, name);
        }

        var observeUntil = DateTime.UtcNow + 3 * Grace;
        var ghostRenewed = DateTime.UtcNow;
        while (DateTime.UtcNow < observeUntil)
        {
            if (DateTime.UtcNow - ghostRenewed > TimeSpan.FromSeconds(1))
            {
                await RenewGhostAsync();
                ghostRenewed = DateTime.UtcNow;
            }

            foreach (var name in nodes.Append("ghost"))
            {
                var node = await GetAsync("nodes", "", name);
                Assert.True(Taints(node).Count == 0, $"node {name} was marked unreachable while its lease was renewed: {node}");
            }

            await Task.Delay(250);
        }

        foreach (var name in nodes)
        {
            Assert.NotEqual(firstRenewals[name], await LeaseRenewTimeAsync(Grains, name));
        }

        // The ghost stops renewing: the controller must still notice.
        var node2 = await Poll.UntilAsync(() => GetAsync("nodes", "", "ghost"), n => Taints(n).Count == 2, TimeSpan.FromSeconds(90), "the silent node marked unreachable");
        var ready = node2!["status"]!["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "Ready")!;
        Assert.Equal("Unknown", (string?)ready["status"]);
        foreach (var name in nodes)
        {
            Assert.Empty(Taints(await GetAsync("nodes", "", name)));
        }
    }

    private Task RenewGhostAsync() =>
        Grains.GetGrain<IObjectGrain>(new ObjectKey("leases.coordination.k8s.io", "kube-node-lease", "ghost").GrainKey)
            .Patch(new JsonObject { ["spec"] = new JsonObject { ["renewTime"] = Micro(DateTimeOffset.UtcNow) } }.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" });

    private Task CreateAsync(string resource, string ns, string name, JsonObject body) => StoredObjects.CreateAsync(Grains, resource, ns, name, body);

    private Task<JsonObject?> GetAsync(string resource, string ns, string name) => StoredObjects.GetAsync(Grains, resource, ns, name);

    /// <summary>Each silo is a node named after the silo; the primary's clock runs 5 s ahead, every other silo's 5 s behind.</summary>
    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var config = siloBuilder.Configuration;
            var nodeName = NodeNameOf(config);
            var skew = TimeSpan.FromSeconds(nodeName.Contains("primary", StringComparison.Ordinal) ? 5 : -5);
            siloBuilder.AddGrainetesGrains(o => o.ConnectionString = siloBuilder.Configuration[AzuriteTestCluster.ConnectionStringKey]!);
            siloBuilder.AddGrainetesNodeAgent(o =>
            {
                o.NodeName = nodeName;
                o.HostIP = "127.0.0.1";
                o.LeaseRenewInterval = TimeSpan.FromSeconds(3);
            });
            siloBuilder.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(new SkewedTimeProvider(skew)));
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
