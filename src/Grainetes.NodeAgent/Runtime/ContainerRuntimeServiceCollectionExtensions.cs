using Grainetes.NodeAgent.Runtime.Docker;
using Grainetes.NodeAgent.Runtime.Process;
using Microsoft.Extensions.DependencyInjection;

namespace Grainetes.NodeAgent.Runtime;

/// <summary>Registers the container runtime chosen by <c>--runtime</c>.</summary>
public static class ContainerRuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ContainerRuntimeSelector"/> and a singleton <see cref="IContainerRuntime"/> for
    /// <paramref name="runtime"/> (<c>auto</c>, <c>docker</c> or <c>process</c>). With <c>auto</c> the Docker daemon
    /// is probed (at most <see cref="ContainerRuntimeSelector.ProbeTimeout"/>) when the runtime is first resolved.
    /// </summary>
    public static IServiceCollection AddContainerRuntime(
        this IServiceCollection services,
        string runtime,
        Action<DockerRuntimeOptions>? configureDocker = null,
        Action<ProcessRuntimeOptions>? configureProcess = null)
    {
        var choice = ContainerRuntimeSelector.Normalize(runtime);
        var docker = services.AddOptions<DockerRuntimeOptions>();
        if (configureDocker is not null)
        {
            docker.Configure(configureDocker);
        }

        var process = services.AddOptions<ProcessRuntimeOptions>();
        if (configureProcess is not null)
        {
            process.Configure(configureProcess);
        }

        services.AddSingleton<ContainerRuntimeSelector>();

        // Resolved once, at first use; a DI factory cannot be async, and the probe is short and bounded.
        services.AddSingleton<IContainerRuntime>(provider =>
            provider.GetRequiredService<ContainerRuntimeSelector>()
                .CreateAsync(choice, CancellationToken.None)
                .GetAwaiter()
                .GetResult());
        return services;
    }
}
