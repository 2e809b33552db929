using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Grains.Hosting;
using Grainetes.Tests.EndToEnd;
using Grainetes.Tests.Infrastructure;
using Orleans.Runtime;
using Orleans.TestingHost;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// An Indexed Job on a three-silo cluster whose controller's silo is killed outright in the middle of the run:
/// the job completes, and no index that had succeeded runs a second pod.
/// </summary>
public sealed class JobSiloCrashTests : IAsyncLifetime
{
    private const string Jobs = "jobs.batch";
    private const int Completions = 6;
    private static readonly TimeSpan CrashDeadline = TimeSpan.FromSeconds(150);

    private AzuriteTestCluster? host;

    private TestCluster Cluster => host!.Cluster;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<SiloConfigurator>("jobcrash", silos: 3);

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task AnIndexedJobSurvivesAKilledControllerSiloWithoutRunningACompletedIndexTwice()
    {
        var w = new Workloads(Cluster.GrainFactory);
        var management = Cluster.GrainFactory.GetGrain<IManagementGrain>(0);
        var managerSilo = await Poll.UntilAsync(
            () => management.GetActivationAddress(Cluster.GrainFactory.GetGrain<IControllerManagerGrain>("default")).AsTask(),
            a => a is not null,
            Deadline,
            "the controller manager active");

        // Find a job whose controller landed on a silo that can be killed: not the primary (it holds the test
        // cluster's membership) and not the manager's (whose loss only delays wake-ups to its reminder).
        string? name = null;
        SiloHandle? victim = null;
        for (var attempt = 0; attempt < 40 && name is null; attempt++)
        {
            var candidate = "work-" + attempt.ToString(CultureInfo.InvariantCulture);
            var job = JobControllerTests.Job(candidate, completions: Completions, parallelism: 2, mode: "Indexed");
            job["spec"]!["suspend"] = true;
            await w.CreateAsync(Jobs, job);
            var controller = Cluster.GrainFactory.GetGrain<IJobControllerGrain>(w.Ns + "/" + candidate);
            var address = await Poll.UntilAsync(() => management.GetActivationAddress(controller).AsTask(), a => a is not null, Deadline, "the job controller active");
            var silo = Cluster.Silos.Single(s => s.SiloAddress.Equals(address));
            if (!ReferenceEquals(silo, Cluster.Primary) && !address!.Equals(managerSilo))
            {
                (name, victim) = (candidate, silo);
            }
        }

        Assert.NotNull(name);
        var uid = (string)(await w.GetAsync(Jobs, name))!["metadata"]!["uid"]!;
        await w.MergePatchAsync(Jobs, name, new JsonObject { ["spec"] = new JsonObject { ["suspend"] = false } });

        // The stand-in kubelet finishes the lowest running index at each look; right after the third success it
        // kills the controller's silo, so the controller dies with that pod's bookkeeping still to do.
        var podsPerIndex = new Dictionary<int, HashSet<string>>();
        var succeeded = 0;
        var killed = false;
        var done = await Poll.UntilAsync(
            async () =>
            {
                try
                {
                    var pods = (await w.PodsAsync()).Where(p => (string?)ControllerRef(p)?["uid"] == uid).ToList();
                    foreach (var pod in pods)
                    {
                        var index = int.Parse((string)pod["metadata"]!["annotations"]!["batch.kubernetes.io/job-completion-index"]!, CultureInfo.InvariantCulture);
                        podsPerIndex.TryAdd(index, []);
                        podsPerIndex[index].Add(Name(pod));
                    }

                    var next = pods.Where(p => !IsDeleting(p) && (string?)p["status"]?["phase"] is not ("Succeeded" or "Failed"))
                        .OrderBy(p => (string?)p["metadata"]!["annotations"]!["batch.kubernetes.io/job-completion-index"], StringComparer.Ordinal)
                        .FirstOrDefault();
                    if (next is not null)
                    {
                        await w.SetStatusAsync(next, "Succeeded", ready: false);
                        if (++succeeded == 3 && !killed)
                        {
                            killed = true;
                            await Cluster.KillSiloAsync(victim!);
                        }
                    }

                    var job = await w.GetAsync(Jobs, name);
                    return (job?["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().Any(c => (string?)c["type"] == "Complete" && (string?)c["status"] == "True") == true;
                }
                catch (Exception ex) when (killed && ex is OrleansException or TimeoutException or SiloUnavailableException)
                {
                    // Calls to grains that lived on the dead silo fail until the cluster notices: look again.
                    return false;
                }
            },
            complete => complete,
            CrashDeadline,
            "the job complete after the crash");

        Assert.True(done);
        Assert.True(killed);
        Assert.DoesNotContain(Cluster.Silos, s => ReferenceEquals(s, victim));

        // Every index ran exactly one pod, ever: none that had succeeded was started again.
        Assert.Equal(Enumerable.Range(0, Completions), podsPerIndex.Keys.Order());
        Assert.All(podsPerIndex, p => Assert.True(p.Value.Count == 1, $"index {p.Key} ran {p.Value.Count} pods: {string.Join(", ", p.Value)}"));
        var status = (await w.GetAsync(Jobs, name))!["status"]!;
        Assert.Equal(Completions, Int(status["succeeded"]));
        Assert.Equal(0, Int(status["failed"]));
        Assert.Equal("0-5", (string?)status["completedIndexes"]);
        Assert.Equal(Completions, (await w.PodsAsync()).Count(p => (string?)ControllerRef(p)?["uid"] == uid));
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder
                .AddGrainetesGrains(o => o.ConnectionString = siloBuilder.Configuration[AzuriteTestCluster.ConnectionStringKey]!)
                .AddGrainetesControllers();
    }
}
