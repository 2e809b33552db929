using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Controllers;
using Grainetes.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.TestingHost;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// Two silos whose controllers are never woken by changes (<c>Controllers:WakeOnChanges=false</c>, set through
/// configuration): the reminders alone, each second here, must still bring a new Deployment up and replace a
/// deleted pod. This is the backstop that covers missed events, crashes mid-reconcile and whole-cluster restarts.
/// </summary>
public sealed class ReminderOnlyRecoveryTests : IAsyncLifetime
{
    private const string Deploy = "deployments.apps";
    private const string Rs = "replicasets.apps";
    private AzuriteTestCluster? host;

    private IGrainFactory Grains => host!.Grains;

    private IServiceProvider SiloServices => ((InProcessSiloHandle)host!.Cluster.Primary!).SiloHost!.Services;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<FailoverSiloConfigurator>(
        "reminders",
        silos: 2,
        new Dictionary<string, string?>
        {
            ["Controllers:WakeOnChanges"] = "false",
            ["Controllers:ResyncPeriod"] = "00:00:01",
            ["Controllers:ManagerResyncPeriod"] = "00:00:02",
        });

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task WithoutChangeWakeUpsADeploymentStillRollsOutAndADeletedPodIsReplacedByTheRemindersAlone()
    {
        var options = SiloServices.GetRequiredService<IOptions<ControllerManagerOptions>>().Value;
        Assert.False(options.WakeOnChanges);
        Assert.Equal(TimeSpan.FromSeconds(1), options.ResyncPeriod);

        var w = new Workloads(Grains);
        await w.CreateAsync(Deploy, Deployment("web", 3));
        await w.KubeletUntilAsync(() => w.RolloutCompleteAsync("web"), what: "rollout driven by reminders");

        var rs = Assert.Single(await w.ListAsync(Rs));
        var rsController = Grains.GetGrain<IReplicaSetControllerGrain>(w.Ns + "/" + Name(rs));
        var reminder = Assert.Single((await SiloServices.GetRequiredService<IReminderTable>().ReadRows(rsController.GetGrainId())).Reminders);
        Assert.Equal(TimeSpan.FromSeconds(1), reminder.Period);

        var victim = Name((await w.PodsAsync())[0]);
        await w.Object("pods", victim).Delete(DeleteOptions.Default);
        await w.KubeletUntilAsync(
            async () =>
            {
                var pods = await w.PodsAsync();
                return pods.Count == 3 && pods.All(p => Name(p) != victim && IsReady(p)) && await w.RolloutCompleteAsync("web");
            },
            what: "the deleted pod replaced through the reminder");
    }
}
