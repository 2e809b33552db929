using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Controllers;
using Grainetes.Grains.Hosting;
using Grainetes.Tests.EndToEnd;
using Grainetes.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// A Job pod on a node that stops renewing its lease: the eviction marks it DisruptionTarget and Failed, so a pod
/// failure policy that ignores disruptions replaces it without counting a failure.
/// </summary>
public sealed class EvictedJobPodTests : IAsyncLifetime
{
    private AzuriteTestCluster? host;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<SiloConfigurator>("evicted");

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task APodEvictedFromALostNodeIsADisruptionThePolicyIgnores()
    {
        var grains = host!.Grains;
        var w = new Workloads(grains);
        var node = w.Ns + "-lost";
        await grains.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", node).GrainKey).Create(
            new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = node }, ["spec"] = new JsonObject() }.ToJsonString(),
            WriteOptions.Default);
        await grains.GetGrain<IObjectGrain>(new ObjectKey("leases.coordination.k8s.io", "kube-node-lease", node).GrainKey).Create(
            new JsonObject
            {
                ["apiVersion"] = "coordination.k8s.io/v1",
                ["kind"] = "Lease",
                ["metadata"] = new JsonObject { ["name"] = node, ["namespace"] = "kube-node-lease" },
                ["spec"] = new JsonObject
                {
                    ["holderIdentity"] = node,
                    ["leaseDurationSeconds"] = 40,
                    ["renewTime"] = DateTimeOffset.UtcNow.AddMinutes(-5).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                },
            }.ToJsonString(),
            WriteOptions.Default);

        var job = JobControllerTests.Job("batch", completions: 1, parallelism: 1, backoffLimit: 0);
        job["spec"]!["podFailurePolicy"] = new JsonObject
        {
            ["rules"] = new JsonArray(new JsonObject
            {
                ["action"] = "Ignore",
                ["onPodConditions"] = new JsonArray(new JsonObject { ["type"] = "DisruptionTarget" }),
            }),
        };
        var uid = (string)JsonNode.Parse(await w.CreateAsync("jobs.batch", job))!["metadata"]!["uid"]!;
        var first = await Poll.UntilAsync(
            async () => (await w.PodsAsync()).FirstOrDefault(p => (string?)ControllerRef(p)?["uid"] == uid), p => p is not null, Deadline, "the job's pod");
        await w.Object("pods", Name(first!)).Patch(
            new JsonObject { ["spec"] = new JsonObject { ["nodeName"] = node } }.ToJsonString(),
            new WriteOptions { PatchType = "application/merge-patch+json", Subresource = "binding" });
        await w.SetStatusAsync((await w.GetAsync("pods", Name(first!)))!, "Running", ready: true);

        await grains.GetGrain<INodeLifecycleControllerGrain>("default").Start();

        // Still Running, the pod would hold its place (a pod failure policy replaces only failed pods); Failed without
        // the DisruptionTarget condition, it would fail the job (backoffLimit 0). Ended both ways, it is replaced uncounted.
        var replacement = await Poll.UntilAsync(
            async () => (await w.PodsAsync()).FirstOrDefault(p => (string?)ControllerRef(p)?["uid"] == uid && Name(p) != Name(first!)),
            p => p is not null,
            Deadline,
            "a replacement of the evicted pod");
        await w.SetStatusAsync(replacement!, "Succeeded", ready: false);
        var done = await Poll.UntilAsync(
            () => w.GetAsync("jobs.batch", "batch"),
            j => (j?["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().Any(c => (string?)c["type"] == "Complete") == true,
            Deadline,
            "the job complete");
        Assert.Equal(0, Int(done!["status"]!["failed"]));
        Assert.DoesNotContain((done["status"]!["conditions"] as JsonArray)!.OfType<JsonObject>(), c => (string?)c["type"] == "Failed");
        await Poll.UntilAsync(() => w.GetAsync("pods", Name(first!)), p => p is null, Deadline, "the evicted pod gone once released");
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder
                .AddGrainetesGrains(o => o.ConnectionString = siloBuilder.Configuration[AzuriteTestCluster.ConnectionStringKey]!)
                .AddGrainetesControllers();
            siloBuilder.Services.Configure<NodeLifecycleOptions>(o =>
            {
                o.NodeMonitorGracePeriod = TimeSpan.FromSeconds(2);
                o.PodEvictionTimeout = TimeSpan.FromSeconds(2);
                o.NodeMonitorPeriod = TimeSpan.FromMilliseconds(300);
            });
            siloBuilder.Services.Configure<JobControllerOptions>(o => o.PodFailureBackoff = TimeSpan.FromSeconds(1));
        }
    }
}
