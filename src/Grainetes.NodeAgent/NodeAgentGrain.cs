using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Events;
using Grainetes.Machinery.Errors;
using Grainetes.NodeAgent.Placement;
using Grainetes.NodeAgent.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.NodeAgent;

/// <summary>
/// The kubelet grain of one node, pinned to that node's silo. Renews the node's Lease every 10 s and its
/// Ready heartbeat, writes what the pod workers report, and serves container logs from the local runtime.
/// Reentrant: its calls are short store writes and log reads that must not queue behind each other.
/// </summary>
[NodePinnedPlacement]
[Reentrant]
[CollectionAgeLimit(AlwaysActive = true)]
public sealed partial class NodeAgentGrain(
    IContainerRuntime runtime,
    PodWorkerRegistry pods,
    EventRecorder events,
    TimeProvider time,
    IOptions<NodeAgentOptions> options,
    ILogger<NodeAgentGrain> logger) : Grain, INodeAgentGrain
{
    private IGrainTimer? leaseTimer;
    private DateTimeOffset lastHeartbeat = DateTimeOffset.MinValue;

    private string NodeName => this.GetPrimaryKeyString();

    public async Task Start()
    {
        if (leaseTimer is not null)
        {
            return;
        }

        await RenewAsync(CancellationToken.None);
        leaseTimer = this.RegisterGrainTimer(RenewAsync, new GrainTimerCreationOptions(options.Value.LeaseRenewInterval, options.Value.LeaseRenewInterval) { Interleave = true });
        LogStarted(NodeName, runtime.Name);
    }

    public async Task ReportPodStatus(string @namespace, string name, string uid, string statusJson)
    {
        var pod = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", @namespace, name).GrainKey);
        var current = await pod.Get();
        if (current is null || (string?)JsonNode.Parse(current)?["metadata"]?["uid"] != uid)
        {
            return;
        }

        var patch = new JsonObject { ["status"] = JsonNode.Parse(statusJson) };
        try
        {
            await pod.Patch(patch.ToJsonString(), new WriteOptions { Subresource = "status", PatchType = "application/merge-patch+json" });
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            // Deleted or replaced meanwhile: the worker's next report (or its end) settles it.
        }
    }

    public Task RecordPodEvent(string podJson, string type, string reason, string message, string? fieldPath) =>
        events.RecordAsync(JsonNode.Parse(podJson)!.AsObject(), type, reason, message, "kubelet", NodeName, fieldPath);

    public async Task PodTerminated(string @namespace, string name, string uid)
    {
        var pod = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", @namespace, name).GrainKey);
        try
        {
            await pod.Delete(new DeleteOptions { GracePeriodSeconds = 0, PreconditionUid = uid });
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            // Already gone, or a new pod of the same name: nothing of ours to remove.
        }
    }

    public async IAsyncEnumerable<string> StreamLogs(string @namespace, string pod, string? container, bool previous, int? tailLines, bool follow, bool timestamps)
    {
        var worker = pods.Find(@namespace, pod) ?? throw ApiException.NotFound("pods", pod);
        var containerId = worker.FindContainerId(container ?? "", previous)
            ?? throw ApiException.BadRequest(previous
                ? $"previous terminated container \"{container}\" in pod \"{pod}\" not found"
                : $"container \"{container}\" in pod \"{pod}\" is waiting to start");
        await foreach (var line in runtime.ReadLogsAsync(containerId, new LogOptions(follow, tailLines, timestamps), CancellationToken.None))
        {
            yield return line;
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var micro = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        var lease = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("leases.coordination.k8s.io", "kube-node-lease", NodeName).GrainKey);
        try
        {
            if (await lease.Get() is null)
            {
                await lease.Create(new JsonObject
                {
                    ["apiVersion"] = "coordination.k8s.io/v1",
                    ["kind"] = "Lease",
                    ["metadata"] = new JsonObject { ["name"] = NodeName, ["namespace"] = "kube-node-lease" },
                    ["spec"] = new JsonObject
                    {
                        ["holderIdentity"] = NodeName,
                        ["leaseDurationSeconds"] = options.Value.LeaseDurationSeconds,
                        ["acquireTime"] = micro,
                        ["renewTime"] = micro,
                    },
                }.ToJsonString(), WriteOptions.Default);
            }
            else
            {
                await lease.Patch(new JsonObject { ["spec"] = new JsonObject { ["renewTime"] = micro, ["holderIdentity"] = NodeName } }.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" });
            }

            await HeartbeatAsync(now);
        }
        catch (ApiException ex)
        {
            LogRenewFailed(ex, NodeName);
        }
    }

    private async Task HeartbeatAsync(DateTimeOffset now)
    {
        var node = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", NodeName).GrainKey);
        var json = await node.Get();
        if (json is null)
        {
            return;
        }

        var stamp = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var conditions = JsonNode.Parse(json)?["status"]?["conditions"] as JsonArray ?? new JsonArray();
        var ready = conditions.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "Ready");
        var isReady = ready is not null && (string?)ready["status"] == "True";

        // A heartbeat a minute while healthy; at once when someone (the lifecycle controller) thinks otherwise.
        if (isReady && now - lastHeartbeat < options.Value.StatusUpdateInterval)
        {
            return;
        }

        lastHeartbeat = now;
        var transition = ready is not null && (string?)ready["status"] == "True" ? (string?)ready["lastTransitionTime"] ?? stamp : stamp;
        var patch = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Ready",
                    ["status"] = "True",
                    ["reason"] = "KubeletReady",
                    ["message"] = "grainetes node agent is posting ready status",
                    ["lastHeartbeatTime"] = stamp,
                    ["lastTransitionTime"] = transition,
                }),
            },
        };
        await node.Patch(patch.ToJsonString(), new WriteOptions { Subresource = "status", PatchType = "application/strategic-merge-patch+json" });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node agent for {Node} started with the {Runtime} runtime")]
    private partial void LogStarted(string node, string runtime);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the lease or heartbeat of node {Node} failed")]
    private partial void LogRenewFailed(Exception ex, string node);
}
