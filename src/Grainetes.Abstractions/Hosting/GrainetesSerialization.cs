using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Configuration;

namespace Grainetes.Abstractions.Hosting;

/// <summary>
/// Serialization settings every silo and client of a Grainetes cluster needs: API errors thrown in one
/// silo must arrive whole (status code, reason, causes) in the API server of another.
/// </summary>
public static class GrainetesSerialization
{
    public static IServiceCollection AddGrainetesSerialization(this IServiceCollection services)
    {
        services.Configure<ExceptionSerializationOptions>(o => o.SupportedNamespacePrefixes.Add("Grainetes"));
        services.Configure<TypeManifestOptions>(o => o.AllowedTypes.Add("Grainetes.Machinery.Errors.ApiException"));
        return services;
    }
}
