using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Grainetes.Abstractions.Telemetry;

/// <summary>Registers <see cref="GrainetesTelemetry"/> once per container, whichever part (silo, API server, node agent) asks first.</summary>
public static class TelemetryServiceCollectionExtensions
{
    public static IServiceCollection AddGrainetesInstruments(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<ObjectCounts>();
        services.TryAddSingleton<GrainetesTelemetry>();
        return services;
    }
}
