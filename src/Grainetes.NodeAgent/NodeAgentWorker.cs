using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Abstractions.Telemetry;
using Grainetes.NodeAgent.Kubelet;
using Grainetes.NodeAgent.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.NodeAgent;

/// <summary>
/// The long-running side of this host's kubelet, outside any grain call: follows the pods bound to this
/// node (list, then the pods' change log), runs one <see cref="PodWorker"/> per pod, and at start
/// removes containers of pods that no longer exist (a restarted silo adopts the rest). A pod's change hands its
/// trace context to the pod's worker, whose next sync continues that trace down to the container start.
/// </summary>
public sealed partial class NodeAgentWorker(
    IGrainFactory grains,
    IContainerRuntime containerRuntime,
    PodWorkerRegistry registry,
    HostPodNetwork podNetwork,
    GrainetesTelemetry telemetry,
    IOptions<NodeAgentOptions> options,
    IOptions<KubeletOptions> kubeletOptions,
    TimeProvider time,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger logger = loggers.CreateLogger<NodeAgentWorker>();
    private readonly IContainerRuntime runtime = new InstrumentedContainerRuntime(containerRuntime, telemetry, options.Value.NodeName);
    private readonly ConcurrentDictionary<string, RunningPod> running = new(StringComparer.Ordinal);

    // Pods whose worker has finished: later events about them (their own last reports) start nothing.
    private readonly ConcurrentDictionary<string, DateTimeOffset> finished = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The agent's loop belongs to no request's trace; each pod's change brings its own.
        Activity.Current = null;
        var node = options.Value.NodeName;
        var host = new GrainPodHost(grains, node, options.Value.HostIP);
        await StartAgentAsync(node, stoppingToken);
        await PrepareNetworkAsync(node, stoppingToken);
        var pods = grains.GetGrain<IResourceCollectionGrain>("pods");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var list = await pods.List(new ListRequest { FieldSelector = "spec.nodeName=" + node });
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var item in list.Items)
                {
                    var pod = JsonNode.Parse(item)!.AsObject();
                    seen.Add(Uid(pod));
                    Dispatch(pod, host, stoppingToken);
                }

                await RemoveOrphansAsync(seen, stoppingToken);
                await FollowAsync(pods, list.ResourceVersion, node, host, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                // The cluster may be starting or a silo moving: list again shortly.
                LogFollowFailed(ex, node);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        await Task.WhenAll(running.Values.Select(r => r.Task));
    }

    private async Task StartAgentAsync(string node, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await grains.GetGrain<INodeAgentGrain>(node).Start();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Membership may not list this silo as active yet: the pinned placement needs it.
                LogAgentStartFailed(ex, node);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }

    /// <summary>Creates the pod network before any sandbox joins it, and names its subnet in the node's <c>spec.podCIDR(s)</c>.</summary>
    private async Task PrepareNetworkAsync(string node, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var network = await podNetwork.GetAsync(stoppingToken);
                if (network.Subnet is { } subnet)
                {
                    var patch = new JsonObject { ["spec"] = new JsonObject { ["podCIDR"] = subnet, ["podCIDRs"] = new JsonArray(subnet) } };
                    await grains.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", node).GrainKey)
                        .Patch(patch.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" });
                }

                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The daemon may be starting, or the node not registered yet.
                LogNetworkFailed(ex, node);
                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken);
            }
        }
    }

    private async Task FollowAsync(IResourceCollectionGrain pods, long after, string node, GrainPodHost host, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var batch = await pods.Poll(after, null, options.Value.PollInterval);
            if (batch.Gone)
            {
                return;
            }

            foreach (var change in batch.Events)
            {
                var pod = JsonNode.Parse(change.Json)!.AsObject();
                var uid = Uid(pod);
                if ((string?)pod["spec"]?["nodeName"] != node)
                {
                    continue;
                }

                if (change.Type == WatchEventType.Deleted)
                {
                    // Removed without waiting for us (force delete): stop its containers at once.
                    if (running.TryGetValue(uid, out var gone))
                    {
                        var meta = pod["metadata"]!.AsObject();
                        meta["deletionTimestamp"] ??= time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
                        meta["deletionGracePeriodSeconds"] = 0;
                        gone.Worker.Update(pod, change.TraceParent);
                    }

                    continue;
                }

                Dispatch(pod, host, stoppingToken, change.TraceParent);
            }

            after = batch.LatestResourceVersion;
        }
    }

    private void Dispatch(JsonObject pod, GrainPodHost host, CancellationToken stoppingToken, string? traceParent = null)
    {
        var uid = Uid(pod);
        if (running.TryGetValue(uid, out var existing))
        {
            existing.Worker.Update(pod, traceParent);
            return;
        }

        if (finished.ContainsKey(uid))
        {
            return;
        }

        var meta = pod["metadata"]!;
        var ns = (string)meta["namespace"]!;
        var name = (string)meta["name"]!;
        var worker = new PodWorker(pod, runtime, host, kubeletOptions.Value, time, loggers.CreateLogger<PodWorker>(), telemetry, traceParent);
        registry.Add(uid, ns, name, worker);
        telemetry.PodWorkerStarted(host.NodeName);

        // Each pod runs on its own: one slow start never holds up another.
        var task = Task.Run(() => worker.RunAsync(stoppingToken), CancellationToken.None).ContinueWith(
            t =>
            {
                if (t.Exception is { } ex)
                {
                    LogPodFailed(ex.GetBaseException(), ns, name);
                }

                registry.Remove(uid, ns, name);
                telemetry.PodWorkerEnded(host.NodeName);
                finished[uid] = time.GetUtcNow();
                running.TryRemove(uid, out _);
                ForgetOldFinished();
            },
            TaskScheduler.Default);
        running[uid] = new RunningPod(worker, task);
    }

    private async Task RemoveOrphansAsync(HashSet<string> livePods, CancellationToken stoppingToken)
    {
        IReadOnlyList<ContainerState> containers;
        try
        {
            containers = await runtime.ListAsync(stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogListFailed(ex);
            return;
        }

        foreach (var orphans in containers.Where(c => !livePods.Contains(c.PodUid)).GroupBy(c => c.PodUid))
        {
            LogOrphans(orphans.Key, orphans.Count());
            foreach (var container in orphans)
            {
                try
                {
                    await runtime.StopContainerAsync(container.ContainerId, TimeSpan.FromSeconds(2), stoppingToken);
                    await runtime.RemoveContainerAsync(container.ContainerId, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogOrphanRemovalFailed(ex, container.ContainerId);
                }
            }

            await runtime.RemoveSandboxAsync(orphans.Key, stoppingToken);
        }
    }

    private void ForgetOldFinished()
    {
        var horizon = time.GetUtcNow() - TimeSpan.FromMinutes(10);
        foreach (var (uid, at) in finished)
        {
            if (at < horizon)
            {
                finished.TryRemove(uid, out _);
            }
        }
    }

    private static string Uid(JsonObject pod) => (string?)pod["metadata"]?["uid"] ?? "";

    private sealed record RunningPod(PodWorker Worker, Task Task);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Following the pods of node {Node} failed; listing again")]
    private partial void LogFollowFailed(Exception ex, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Preparing the pod network of node {Node} failed; trying again")]
    private partial void LogNetworkFailed(Exception ex, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Waiting to start the node agent grain of {Node}")]
    private partial void LogAgentStartFailed(Exception ex, string node);

    [LoggerMessage(Level = LogLevel.Error, Message = "The worker of pod {Namespace}/{Name} failed")]
    private partial void LogPodFailed(Exception ex, string @namespace, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listing the runtime's containers failed")]
    private partial void LogListFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removing {Count} containers of pod uid {Uid}, which no longer exists")]
    private partial void LogOrphans(string uid, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing orphaned container {ContainerId} failed")]
    private partial void LogOrphanRemovalFailed(Exception ex, string containerId);
}
