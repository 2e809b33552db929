using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Controllers;
using Grainetes.Grains.Hosting;
using Grainetes.Tests.Infrastructure;
using Orleans.TestingHost;
using static Grainetes.Tests.Infrastructure.StoredObjects;
using Microsoft.Extensions.DependencyInjection;

namespace Grainetes.Tests.NodeAgent;

/// <summary>The node lifecycle controller on a TestingHost with short timings: silent nodes are marked, tainted, emptied and recovered.</summary>
public sealed class NodeLifecycleTests : IAsyncLifetime
{
    private AzuriteTestCluster? host;

    private IGrainFactory Grains => host!.Grains;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<SiloConfigurator>("lifecycle");

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task ASilentNodeIsMarkedTaintedAndEmptiedAndRecoversWhenItRenewsAgain()
    {
        await CreateAsync("namespaces", "", "default", new JsonObject());
        await CreateAsync("nodes", "", "quiet", new JsonObject { ["spec"] = new JsonObject() });
        await CreateAsync("leases.coordination.k8s.io", "kube-node-lease", "quiet", new JsonObject
        {
            ["spec"] = new JsonObject { ["holderIdentity"] = "quiet", ["leaseDurationSeconds"] = 40, ["renewTime"] = Micro(DateTimeOffset.UtcNow.AddMinutes(-5)) },
        });
        await CreateAsync("pods", "default", "stranded", new JsonObject
        {
            ["spec"] = new JsonObject { ["nodeName"] = "quiet", ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "busybox" }) },
        });

        await Grains.GetGrain<INodeLifecycleControllerGrain>("default").Start();

        var node = await Until(() => GetAsync("nodes", "", "quiet"), n => Taints(n).Count == 2, "unreachable taints");
        Assert.Equal(["NoExecute", "NoSchedule"], Taints(node).Select(t => (string)t["effect"]!).Order());
        Assert.All(Taints(node), t => Assert.Equal(NodeLifecycleControllerGrain.UnreachableTaint, (string?)t["key"]));
        var ready = node!["status"]!["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "Ready")!;
        Assert.Equal("Unknown", (string?)ready["status"]);

        await Until(() => GetAsync("pods", "default", "stranded"), p => p is null, "the pod evicted after the eviction timeout");

        await Grains.GetGrain<IObjectGrain>(new ObjectKey("leases.coordination.k8s.io", "kube-node-lease", "quiet").GrainKey)
            .Patch(new JsonObject { ["spec"] = new JsonObject { ["renewTime"] = Micro(DateTimeOffset.UtcNow.AddHours(1)) } }.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" });
        await Until(() => GetAsync("nodes", "", "quiet"), n => Taints(n).Count == 0, "taints removed after renewal");
    }

    private Task CreateAsync(string resource, string ns, string name, JsonObject body) => StoredObjects.CreateAsync(Grains, resource, ns, name, body);

    private Task<JsonObject?> GetAsync(string resource, string ns, string name) => StoredObjects.GetAsync(Grains, resource, ns, name);

    private static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(what + " not reached in time");
            }

            await Task.Delay(100);
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddGrainetesGrains(o => o.ConnectionString = siloBuilder.Configuration[AzuriteTestCluster.ConnectionStringKey]!);
            siloBuilder.Services.Configure<NodeLifecycleOptions>(o =>
            {
                o.NodeMonitorGracePeriod = TimeSpan.FromSeconds(2);
                o.PodEvictionTimeout = TimeSpan.FromSeconds(2);
                o.NodeMonitorPeriod = TimeSpan.FromMilliseconds(300);
            });
        }
    }
}
