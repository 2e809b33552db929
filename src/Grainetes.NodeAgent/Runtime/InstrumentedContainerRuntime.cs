using System.Diagnostics;
using Grainetes.Abstractions.Telemetry;

namespace Grainetes.NodeAgent.Runtime;

/// <summary>
/// The node agent's view of its runtime, measured: every call is counted and timed by operation and result, and the
/// calls that change something (sandboxes, images, containers) are spans inside the pod sync that made them. Reads
/// (inspect, list, exec probes, logs) stay out of traces: they repeat on every sync and would bury the rest.
/// </summary>
public sealed class InstrumentedContainerRuntime(IContainerRuntime inner, GrainetesTelemetry telemetry, string node) : IContainerRuntime
{
    public string Name => inner.Name;

    public Task<string> VersionAsync(CancellationToken cancellationToken) => inner.VersionAsync(cancellationToken);


    // Forwarded explicitly: the interface's default (host network) would hide the inner runtime's bridge.
    public Task<PodNetwork> PrepareNetworkAsync(CancellationToken cancellationToken) =>
        MeasureAsync("prepare_network", traced: false, () => inner.PrepareNetworkAsync(cancellationToken));

    public Task<PodSandbox> EnsureSandboxAsync(PodSandboxSpec spec, CancellationToken cancellationToken) =>
        MeasureAsync("ensure_sandbox", traced: true, () => inner.EnsureSandboxAsync(spec, cancellationToken));

    public Task RemoveSandboxAsync(string podUid, CancellationToken cancellationToken) =>
        MeasureAsync("remove_sandbox", traced: true, () => inner.RemoveSandboxAsync(podUid, cancellationToken));

    public Task EnsureImageAsync(string image, CancellationToken cancellationToken) =>
        MeasureAsync("ensure_image", traced: true, () => inner.EnsureImageAsync(image, cancellationToken), image);

    public Task<string> CreateContainerAsync(PodSandbox sandbox, ContainerSpec spec, CancellationToken cancellationToken) =>
        MeasureAsync("create_container", traced: true, () => inner.CreateContainerAsync(sandbox, spec, cancellationToken), spec.Image);

    public Task StartContainerAsync(string containerId, CancellationToken cancellationToken) =>
        MeasureAsync("start_container", traced: true, () => inner.StartContainerAsync(containerId, cancellationToken));

    public Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken) =>
        MeasureAsync("stop_container", traced: true, () => inner.StopContainerAsync(containerId, gracePeriod, cancellationToken));

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) =>
        MeasureAsync("remove_container", traced: true, () => inner.RemoveContainerAsync(containerId, cancellationToken));

    public Task<ContainerState?> InspectAsync(string containerId, CancellationToken cancellationToken) =>
        MeasureAsync("inspect_container", traced: false, () => inner.InspectAsync(containerId, cancellationToken));

    public Task<IReadOnlyList<ContainerState>> ListPodAsync(string podUid, CancellationToken cancellationToken) =>
        MeasureAsync("list_pod_containers", traced: false, () => inner.ListPodAsync(podUid, cancellationToken));

    public Task<IReadOnlyList<ContainerState>> ListAsync(CancellationToken cancellationToken) =>
        MeasureAsync("list_containers", traced: false, () => inner.ListAsync(cancellationToken));

    public Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken) =>
        MeasureAsync("exec", traced: false, () => inner.ExecAsync(containerId, command, timeout, cancellationToken));

    public Task<IReadOnlyList<ContainerUsageSample>> SampleUsageAsync(IReadOnlyCollection<string> containerIds, CancellationToken cancellationToken) =>
        MeasureAsync("sample_usage", traced: false, () => inner.SampleUsageAsync(containerIds, cancellationToken));

    public IAsyncEnumerable<string> ReadLogsAsync(string containerId, LogOptions options, CancellationToken cancellationToken) =>
        inner.ReadLogsAsync(containerId, options, cancellationToken);

    private async Task MeasureAsync(string operation, bool traced, Func<Task> call, string? image = null) =>
        await MeasureAsync(operation, traced, async () =>
        {
            await call();
            return true;
        }, image);

    private async Task<T> MeasureAsync<T>(string operation, bool traced, Func<Task<T>> call, string? image = null)
    {
        // Only inside a trace: a runtime call outside any pod sync has nothing to belong to.
        using var span = traced && Activity.Current is not null ? telemetry.StartSpan("runtime " + operation) : null;
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("grainetes.runtime", inner.Name);
            span.SetTag("grainetes.runtime.operation", operation);
            if (image is not null)
            {
                span.SetTag("container.image.name", image);
            }
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await call();
            telemetry.RecordRuntimeOperation(node, inner.Name, operation, succeeded: true, Stopwatch.GetElapsedTime(started));
            return result;
        }
        catch (Exception ex)
        {
            telemetry.RecordRuntimeOperation(node, inner.Name, operation, succeeded: false, Stopwatch.GetElapsedTime(started));
            span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
    }
}
