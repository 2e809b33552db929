using Grainetes.Grains.Cloud;
using Microsoft.Extensions.DependencyInjection;

namespace Grainetes.Grains.Hosting;

/// <summary>Adds the cloud controller for LoadBalancer services and the built-in <c>local</c> provider.</summary>
public static class CloudSiloBuilderExtensions
{
    /// <summary>
    /// Binds <see cref="CloudOptions"/> (<c>Cloud</c>) and <see cref="LocalCloudOptions"/> (<c>Cloud:Local</c>), registers
    /// the local provider under its name and, on every silo, its listeners. Another provider is one more
    /// <c>AddKeyedSingleton&lt;ICloudProvider, T&gt;(name)</c> and <c>Cloud:Provider=name</c>. Needs <c>AddGrainetesControllers</c>,
    /// whose manager wakes the load balancer controllers.
    /// </summary>
    public static ISiloBuilder AddGrainetesCloud(this ISiloBuilder builder)
    {
        builder.Services.AddOptions<CloudOptions>().Bind(builder.Configuration.GetSection(CloudOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<CloudOptions>, CloudOptionsValidator>();
        builder.Services.AddOptions<LocalCloudOptions>().Bind(builder.Configuration.GetSection(LocalCloudOptions.SectionName));
        builder.Services.AddSingleton<CloudProviders>();
        builder.Services.AddKeyedSingleton<ICloudProvider, LocalCloudProvider>(LocalCloudProvider.Name);
        builder.Services.AddHostedService<LocalLoadBalancerForwarder>();
        return builder;
    }
}
