using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Tests.EndToEnd;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// The controller grains' resync reminders, read from the reminder table: held while their object exists, gone
/// once it is deleted, so deleted objects leave no reminder behind.
/// </summary>
[Collection(MultiSiloCollection.Name)]
public sealed class ControllerReminderTests(MultiSiloClusterFixture fixture)
{
    private const string Deploy = "deployments.apps";
    private const string Rs = "replicasets.apps";

    private async Task<List<string>> RemindersOf(IAddressable grain) =>
        (await fixture.Reminders.ReadRows(grain.GetGrainId())).Reminders.Select(r => r.ReminderName).ToList();

    [Fact]
    public async Task DeletingADeploymentOrAReplicaSetUnregistersTheirControllersReminders()
    {
        var w = new Workloads(fixture.Grains);
        await w.CreateAsync(Deploy, Deployment("web", 2));
        await w.CreateAsync(Rs, ReplicaSet("solo", 1));
        await w.KubeletUntilAsync(
            async () => await w.RolloutCompleteAsync("web") && Int((await w.GetAsync(Rs, "solo"))!["status"]?["readyReplicas"]) == 1,
            what: "deployment rolled out and the lone replica set ready");
        var owned = (await w.ListAsync(Rs)).Single(r => ControllerRef(r) is not null);

        var deployment = fixture.Grains.GetGrain<IDeploymentControllerGrain>(w.Ns + "/web");
        var ownedRs = fixture.Grains.GetGrain<IReplicaSetControllerGrain>(w.Ns + "/" + Name(owned));
        var solo = fixture.Grains.GetGrain<IReplicaSetControllerGrain>(w.Ns + "/solo");
        foreach (var (grain, what) in new (IAddressable, string)[] { (deployment, "deployment"), (ownedRs, "owned replica set"), (solo, "lone replica set") })
        {
            await Poll.UntilAsync(() => RemindersOf(grain), r => r.SequenceEqual(["resync"]), Deadline, $"the {what} controller's reminder");
        }

        await w.Object(Deploy, "web").Delete(DeleteOptions.Default);
        await w.Object(Rs, "solo").Delete(DeleteOptions.Default);
        await Poll.UntilAsync(async () => (await w.ListAsync(Rs)).Count + (await w.PodsAsync()).Count, n => n == 0, Deadline, "everything collected");
        foreach (var (grain, what) in new (IAddressable, string)[] { (deployment, "deployment"), (ownedRs, "owned replica set"), (solo, "lone replica set") })
        {
            await Poll.UntilAsync(() => RemindersOf(grain), r => r.Count == 0, Deadline, $"the {what} controller's reminder gone");
        }
    }
}
