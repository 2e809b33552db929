using Grainetes.Abstractions.Controllers;

namespace Grainetes.Grains.Scheduling;

/// <summary>
/// Wakes the scheduler once the silo is active. Every silo does so; Orleans keeps it one activation, and its
/// reminder reactivates it after a silo dies.
/// </summary>
public sealed class SchedulerStartup(IGrainFactory grains) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SchedulerStartup), ServiceLifecycleStage.Active, _ =>
        {
            grains.GetGrain<ISchedulerGrain>(ISchedulerGrain.DefaultKey).Wake().Ignore();
            return Task.CompletedTask;
        });
}
