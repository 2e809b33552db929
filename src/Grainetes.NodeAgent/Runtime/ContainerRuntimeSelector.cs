using Grainetes.NodeAgent.Runtime.Docker;
using Grainetes.NodeAgent.Runtime.Process;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.NodeAgent.Runtime;

/// <summary>
/// Picks the container runtime for <c>--runtime auto|docker|process</c>: <c>auto</c> takes Docker when its daemon
/// answers <c>/_ping</c> within <see cref="ProbeTimeout"/>, else plain processes.
/// </summary>
public sealed partial class ContainerRuntimeSelector(
    IOptions<DockerRuntimeOptions> dockerOptions,
    IOptions<ProcessRuntimeOptions> processOptions,
    ILoggerFactory loggerFactory)
{
    public const string Auto = "auto";
    public const string Docker = "docker";
    public const string Process = "process";

    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Resolves <paramref name="runtime"/> to <see cref="Docker"/> or <see cref="Process"/>.</summary>
    public async Task<string> ResolveAsync(string runtime, CancellationToken cancellationToken)
    {
        var choice = Normalize(runtime);
        if (choice != Auto)
        {
            return choice;
        }

        return await DockerPing.AnswersAsync(dockerOptions.Value.Endpoint, ProbeTimeout, cancellationToken).ConfigureAwait(false)
            ? Docker
            : Process;
    }

    /// <summary>Creates the runtime <paramref name="runtime"/> names (after probing, for <c>auto</c>).</summary>
    public async Task<IContainerRuntime> CreateAsync(string runtime, CancellationToken cancellationToken)
    {
        var resolved = await ResolveAsync(runtime, cancellationToken).ConfigureAwait(false);
        var logger = loggerFactory.CreateLogger<ContainerRuntimeSelector>();
        LogSelected(logger, resolved, runtime);
        return resolved == Docker
            ? new DockerRuntime(dockerOptions, loggerFactory.CreateLogger<DockerRuntime>())
            : new ProcessRuntime(processOptions, loggerFactory.CreateLogger<ProcessRuntime>());
    }

    /// <summary>Checks a <c>--runtime</c> value; returns it lower-cased.</summary>
    public static string Normalize(string runtime) =>
        runtime.Trim().ToLowerInvariant() switch
        {
            "" or Auto => Auto,
            Docker => Docker,
            Process => Process,
            _ => throw new ArgumentException($"unknown container runtime \"{runtime}\": use auto, docker or process", nameof(runtime)),
        };

    [LoggerMessage(Level = LogLevel.Information, Message = "Container runtime {Runtime} (asked for {Requested})")]
    private static partial void LogSelected(ILogger logger, string runtime, string requested);
}
