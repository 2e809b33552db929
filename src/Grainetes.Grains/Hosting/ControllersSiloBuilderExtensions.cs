using Microsoft.Extensions.DependencyInjection;

namespace Grainetes.Grains.Hosting;

/// <summary>Adds the workload controllers (ReplicaSet, Deployment, DaemonSet, Job, CronJob) and the manager that routes changes to them.</summary>
public static class ControllersSiloBuilderExtensions
{
    /// <summary>
    /// Starts the <c>IControllerManagerGrain</c> once the silo is up (each silo asks; the grain is single).
    /// Needs <c>AddGrainetesGrains</c> for the store, the event recorder and the reminder service.
    /// </summary>
    public static ISiloBuilder AddGrainetesControllers(this ISiloBuilder builder)
    {
        builder.Services.AddHostedService<ControllerManagerStarter>();
        builder.Services.AddOptions<Grainetes.Grains.Controllers.ControllerManagerOptions>()
            .Bind(builder.Configuration.GetSection(Grainetes.Grains.Controllers.ControllerManagerOptions.SectionName));
        builder.Services.AddOptions<Grainetes.Grains.Controllers.CronJobControllerOptions>();
        builder.Services.AddOptions<Grainetes.Grains.Controllers.HorizontalPodAutoscalerControllerOptions>();
        builder.Services.AddOptions<Grainetes.Grains.Controllers.JobControllerOptions>();
        return builder;
    }
}
