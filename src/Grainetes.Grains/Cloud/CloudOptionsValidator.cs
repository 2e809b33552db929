using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Grainetes.Grains.Cloud;

/// <summary>Refuses to start a silo whose <c>Cloud:Provider</c> names no registered provider, rather than failing every reconcile.</summary>
internal sealed class CloudOptionsValidator(IServiceProviderIsKeyedService registrations) : IValidateOptions<CloudOptions>
{
    public ValidateOptionsResult Validate(string? name, CloudOptions options) =>
        registrations.IsKeyedService(typeof(ICloudProvider), options.Provider)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Cloud:Provider is '{options.Provider}', but no cloud provider is registered under that name.");
}
