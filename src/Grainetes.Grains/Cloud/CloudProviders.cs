using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Grainetes.Grains.Cloud;

/// <summary>Resolves the configured <see cref="ICloudProvider"/> by its DI key; its presence means the cloud controller is on.</summary>
public sealed class CloudProviders(IServiceProvider services, IOptions<CloudOptions> options)
{
    public string Name => options.Value.Provider;

    /// <exception cref="InvalidOperationException">No provider is registered under the configured name.</exception>
    public ICloudProvider Current =>
        services.GetKeyedService<ICloudProvider>(Name)
        ?? throw new InvalidOperationException($"No cloud provider named '{Name}' is registered (Cloud:Provider).");
}
