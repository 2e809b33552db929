using Grainetes.Grains.Scheduling;
using Microsoft.Extensions.DependencyInjection;

namespace Grainetes.Grains.Hosting;

/// <summary>
/// Runs the default scheduler on a silo that has <see cref="GrainetesSiloBuilderExtensions.AddGrainetesGrains"/>.
/// Separate from it so that store-only silos (and their tests) see no scheduler writes.
/// </summary>
public static class SchedulerSiloBuilderExtensions
{
    public static ISiloBuilder AddGrainetesScheduler(this ISiloBuilder builder)
    {
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, SchedulerStartup>();
        return builder;
    }
}
