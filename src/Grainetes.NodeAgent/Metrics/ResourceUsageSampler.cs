using Grainetes.Abstractions.Metrics;
using Grainetes.NodeAgent.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.NodeAgent.Metrics;

/// <summary>
/// The kubelet's resource analyzer for this node, outside any grain call: every sampling period it reads the usage
/// of the running app containers of the pods this silo runs (through the container runtime) and of the host
/// (<c>/proc</c>), turns counters into rates, and reports the lot to the node's <see cref="INodeMetricsGrain"/>, where
/// the Metrics API and the autoscaler read it.
/// </summary>
public sealed partial class ResourceUsageSampler(
    IGrainFactory grains,
    IContainerRuntime runtime,
    PodWorkerRegistry pods,
    IOptions<NodeAgentOptions> nodeOptions,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<ResourceUsageSampler> logger) : BackgroundService
{
    private readonly UsageRates rates = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SampleInterval;
        using var timer = new PeriodicTimer(interval, time);
        do
        {
            try
            {
                await SampleAsync(interval, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // The cluster may be starting or the runtime busy: the next period tries again.
                LogSampleFailed(ex, nodeOptions.Value.NodeName);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task SampleAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        var node = nodeOptions.Value.NodeName;
        var running = pods.Workers
            .SelectMany(w => w.Containers
                .Where(c => c is { Status: ContainerStatus.Running, IsInit: false })
                .Select(c => (Worker: w, Container: c)))
            .ToDictionary(r => r.Container.ContainerId, StringComparer.Ordinal);
        var samples = running.Count == 0 ? [] : await runtime.SampleUsageAsync(running.Keys, cancellationToken);
        rates.Retain(running.Keys.ToHashSet(StringComparer.Ordinal));

        var usage = new List<PodUsage>();
        foreach (var pod in samples.Where(s => running.ContainsKey(s.ContainerId)).GroupBy(s => running[s.ContainerId].Worker))
        {
            var containers = new List<ContainerUsage>();
            var window = TimeSpan.Zero;
            var at = DateTimeOffset.MinValue;
            foreach (var sample in pod.OrderBy(s => running[s.ContainerId].Container.ContainerName, StringComparer.Ordinal))
            {
                var container = running[sample.ContainerId].Container;
                if (rates.Container(sample, container.StartedAt) is not { } rate)
                {
                    continue;
                }

                containers.Add(new ContainerUsage(container.ContainerName, rate.CpuNanoCores, sample.MemoryWorkingSetBytes));
                window = rate.Window > window ? rate.Window : window;
                at = sample.At > at ? sample.At : at;
            }

            if (containers.Count > 0)
            {
                usage.Add(new PodUsage(pod.Key.Namespace, pod.Key.Name, pod.Key.Uid, at, window, containers));
            }
        }

        var now = time.GetUtcNow();
        NodeUsage? nodeUsage = null;
        if (HostUsageReader.Read(now) is { } host && rates.Host(host) is { } hostRate)
        {
            nodeUsage = new NodeUsage(node, now, hostRate.Window, hostRate.CpuNanoCores, host.MemoryBytes);
        }

        var validUntil = now + (interval * Math.Max(1, options.Value.ValidPeriods));
        await grains.GetGrain<INodeMetricsGrain>(node).Report(new NodeMetricsReport(node, nodeUsage, usage, validUntil));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sampling the resource usage of node {Node} failed; trying again next period")]
    private partial void LogSampleFailed(Exception ex, string node);
}
