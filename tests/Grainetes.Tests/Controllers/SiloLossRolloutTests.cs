using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Tests.EndToEnd;
using Grainetes.Tests.Infrastructure;
using Orleans.TestingHost;
using Xunit.Abstractions;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// Three silos; the one running the Deployment's controller and the controller manager is killed (no graceful
/// shutdown) in the middle of a rolling update. The survivors take over and finish the rollout within its bounds.
/// </summary>
public sealed class SiloLossRolloutTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Deploy = "deployments.apps";
    private const string Rs = "replicasets.apps";
    private AzuriteTestCluster? host;

    private TestCluster Cluster => host!.Cluster;

    private IGrainFactory Grains => host!.Grains;

    public async Task InitializeAsync()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        host = await AzuriteTestCluster.StartAsync<FailoverSiloConfigurator>("siloloss", silos: 3);
        output.WriteLine($"cluster started in {started.ElapsedMilliseconds} ms");
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            var stopping = System.Diagnostics.Stopwatch.StartNew();
            await host.DisposeAsync();
            Console.WriteLine($"cluster stopped in {stopping.ElapsedMilliseconds} ms");
        }
    }

    [Fact]
    public async Task ARollingUpdateFinishesWithinItsBoundsWhenTheSiloRunningItsControllersIsKilledMidway()
    {
        const int replicas = 6;
        var w = new Workloads(Grains);
        var strategy = new JsonObject
        {
            ["type"] = "RollingUpdate",
            ["rollingUpdate"] = new JsonObject { ["maxSurge"] = 2, ["maxUnavailable"] = 1 },
        };
        await w.CreateAsync(Deploy, Deployment("web", replicas, "nginx:1", strategy));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await w.KubeletUntilAsync(() => w.RolloutCompleteAsync("web"), what: "first rollout");
        output.WriteLine($"first rollout {clock.ElapsedMilliseconds} ms");

        // Put what drives the rollout on the silo that will die: the Deployment's controller and the manager that wakes it.
        // A busy controller may not go idle in time on a loaded machine: then the victim is whichever secondary it is on.
        var controller = Grains.GetGrain<IDeploymentControllerGrain>(w.Ns + "/web");
        var manager = Grains.GetGrain<IControllerManagerGrain>("default");
        var management = Grains.GetGrain<IManagementGrain>(0);
        if (!await ActivationMover.TryMoveAsync(Grains, controller, Cluster.SecondarySilos[0].SiloAddress, TimeSpan.FromSeconds(30))
            && Cluster.Primary?.SiloAddress.Equals(await management.GetActivationAddress(controller)) == true)
        {
            await ActivationMover.TryMoveAsync(Grains, controller, Cluster.SecondarySilos[1].SiloAddress, TimeSpan.FromSeconds(30));
        }

        var controllerAt = await management.GetActivationAddress(controller);
        var victim = Cluster.SecondarySilos.FirstOrDefault(s => s.SiloAddress.Equals(controllerAt));
        Assert.True(victim is not null, $"the deployment controller is on {controllerAt?.ToString() ?? "no silo"}, not a secondary silo to kill");
        Assert.True(await ActivationMover.TryMoveAsync(Grains, manager, victim.SiloAddress, Deadline), "the controller manager did not move to the silo to kill");

        output.WriteLine($"moved {clock.ElapsedMilliseconds} ms");
        var bounds = new RolloutBounds(replicas, maxSurge: 2, maxUnavailable: 1);
        await w.MergePatchAsync(Deploy, "web", ImagePatch("nginx:2"));

        // The stand-in kubelet holds new pods unready, so the rollout stops midway: the first surge, then two of
        // them Ready, then the old set scaled down for them and one more new pod created (and held).
        var firstNew = await Poll.UntilAsync(
            async () =>
            {
                var pods = await w.PodsAsync();
                bounds.Sample(pods);
                return pods.Where(p => !IsDeleting(p) && Image(p) == "nginx:2").ToList();
            },
            p => p.Count >= 2,
            Deadline,
            "the first surge of new pods");
        await w.MarkReadyAsync(firstNew.Take(2));
        await Poll.UntilAsync(
            async () =>
            {
                var pods = (await w.PodsAsync()).Where(p => !IsDeleting(p)).ToList();
                bounds.Sample(pods);
                return (Old: pods.Count(p => Image(p) == "nginx:1"), New: pods.Count(p => Image(p) == "nginx:2"));
            },
            c => c.Old <= replicas - 2 && c.New >= 3,
            Deadline,
            "the old set scaled down for the new Ready pods");

        output.WriteLine($"midway {clock.ElapsedMilliseconds} ms");
        Assert.Equal(victim.SiloAddress, await management.GetActivationAddress(controller));
        Assert.False(await w.RolloutCompleteAsync("web"));
        var killed = System.Diagnostics.Stopwatch.StartNew();
        await Cluster.KillSiloAsync(victim);
        output.WriteLine($"killed {victim.SiloAddress} after {bounds.Samples} samples; the kill took {killed.ElapsedMilliseconds} ms");

        await TransientPoll.UntilAsync(
            async () =>
            {
                var pods = await w.PodsAsync();
                bounds.Sample(pods);
                await w.MarkReadyAsync(pods);
                return await w.RolloutCompleteAsync("web") && (await w.ListAsync(Rs)).Count == 2;
            },
            Deadline,
            "the rollout finished by the surviving silos");

        output.WriteLine($"rollout finished {killed.ElapsedMilliseconds} ms after the kill began; {bounds.Samples} samples, at most {bounds.MostPods} pods, at least {bounds.FewestReady} ready");
        bounds.AssertHeld();
        var final = (await w.PodsAsync()).Where(p => !IsDeleting(p)).ToList();
        Assert.Equal(replicas, final.Count);
        Assert.All(final, p => Assert.Equal("nginx:2", Image(p)));
        var now = await management.GetActivationAddress(controller);
        Assert.NotNull(now);
        Assert.NotEqual(victim.SiloAddress, now);
    }

    private static JsonObject ImagePatch(string image) => new()
    {
        ["spec"] = new JsonObject
        {
            ["template"] = new JsonObject
            {
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = image }) },
            },
        },
    };

    private static string Image(JsonObject pod) => (string)pod["spec"]!["containers"]![0]!["image"]!;
}
