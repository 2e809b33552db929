using Grainetes.Grains.Hosting;
using Grainetes.Tests.Infrastructure;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// A silo with the store and the workload controllers (no kubelet), whose membership declares a killed silo dead
/// within seconds, and whose reminders may tick as often as once a second, so the controllers' options
/// (<c>Controllers:*</c>, from the cluster's configuration) can be set short for tests.
/// </summary>
internal sealed class FailoverSiloConfigurator : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder)
    {
        siloBuilder
            .AddGrainetesGrains(o => o.ConnectionString = siloBuilder.Configuration[AzuriteTestCluster.ConnectionStringKey]!)
            .AddGrainetesControllers();
        siloBuilder.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        siloBuilder.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.NumVotesForDeathDeclaration = 1;
        });
    }
}
