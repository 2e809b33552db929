using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Events;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// Watches node leases (read from the lease grains' memory, where renewals live) and, for a node silent
/// longer than the grace period, sets Ready=Unknown, adds the unreachable taints, and after the eviction
/// timeout deletes its pods so their owners replace them elsewhere. A node that renews again loses the
/// taints. Every pass is idempotent; a reminder restarts the monitor after a crash.
/// </summary>
public sealed partial class NodeLifecycleControllerGrain(
    EventRecorder events,
    TimeProvider time,
    IOptions<NodeLifecycleOptions> options,
    ILogger<NodeLifecycleControllerGrain> logger) : Grain, INodeLifecycleControllerGrain, IRemindable
{
    public const string UnreachableTaint = "node.kubernetes.io/unreachable";

    // When this controller saw each node's lease renewTime change, on its own clock. Kubernetes times a lease
    // the same way: the renewTime a kubelet stamps comes from that host's clock, and a skewed host would look
    // silent while it renews. Lost with the activation, which then gives every node a fresh grace period.
    private readonly Dictionary<string, LeaseObservation> observed = new(StringComparer.Ordinal);
    private IGrainTimer? monitor;

    public async Task Start()
    {
        if (monitor is not null)
        {
            return;
        }

        await this.RegisterOrUpdateReminder("node-lifecycle", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        monitor = this.RegisterGrainTimer(MonitorAsync, new GrainTimerCreationOptions(TimeSpan.Zero, options.Value.NodeMonitorPeriod));
        this.DelayDeactivation(TimeSpan.FromDays(3650));
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Start();

    private async Task MonitorAsync(CancellationToken cancellationToken)
    {
        var nodes = await GrainFactory.GetGrain<IResourceCollectionGrain>("nodes").List(new ListRequest());
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var json in nodes.Items)
        {
            names.Add((string?)JsonNode.Parse(json)?["metadata"]?["name"] ?? "");
        }

        foreach (var gone in observed.Keys.Where(n => !names.Contains(n)).ToList())
        {
            observed.Remove(gone);
        }

        foreach (var json in nodes.Items)
        {
            try
            {
                await CheckNodeAsync(JsonNode.Parse(json)!.AsObject());
            }
            catch (ApiException ex)
            {
                LogCheckFailed(ex, ex.Message);
            }
        }
    }

    private async Task CheckNodeAsync(JsonObject node)
    {
        var name = (string)node["metadata"]!["name"]!;
        var now = time.GetUtcNow();
        var lease = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("leases.coordination.k8s.io", "kube-node-lease", name).GrainKey).Get();
        var renewTime = (string?)(lease is null ? null : JsonNode.Parse(lease)?["spec"]?["renewTime"]);
        var observation = Observe(name, renewTime, now);
        // Timed by this controller's own sight of a renewal only, never by the renewTime stamp (the kubelet's clock).
        // A controller that just moved silos starts every node afresh (see Observe); a lease grain reactivated from its
        // coarsely persisted row shows an older renewTime, which is not a renewal, and the kubelet's next renewal is
        // both later and persisted at once (ObjectGrain persists the first renewal of every activation).
        var silent = now - observation.ObservedAt > options.Value.NodeMonitorGracePeriod;
        var taints = node["spec"]?["taints"] as JsonArray ?? new JsonArray();
        var noExecute = taints.OfType<JsonObject>().FirstOrDefault(t => (string?)t["key"] == UnreachableTaint && (string?)t["effect"] == "NoExecute");
        var grain = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", name).GrainKey);

        if (silent && noExecute is null)
        {
            LogUnreachable(name, (now - observation.ObservedAt).TotalSeconds);
            await MarkUnknownAsync(grain, now);
            var stamp = Stamp(now);
            var kept = taints.OfType<JsonObject>().Where(t => (string?)t["key"] != UnreachableTaint).Select(t => t.DeepClone()).ToList();
            kept.Add(new JsonObject { ["key"] = UnreachableTaint, ["effect"] = "NoSchedule", ["timeAdded"] = stamp });
            kept.Add(new JsonObject { ["key"] = UnreachableTaint, ["effect"] = "NoExecute", ["timeAdded"] = stamp });
            await grain.Patch(new JsonObject { ["spec"] = new JsonObject { ["taints"] = new JsonArray(kept.ToArray()) } }.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" });
            await events.RecordAsync(node, "Normal", "NodeNotReady", $"Node {name} status is now: NodeNotReady", "node-controller");
        }
        else if (silent && noExecute is not null)
        {
            var since = ParseTime((string?)noExecute["timeAdded"]) ?? now;
            if (now - since >= options.Value.PodEvictionTimeout)
            {
                await EvictPodsAsync(name);
            }
        }
        else if (!silent && observation.Renewed && taints.OfType<JsonObject>().Any(t => (string?)t["key"] == UnreachableTaint))
        {
            LogReachable(name);
            var kept = taints.OfType<JsonObject>().Where(t => (string?)t["key"] != UnreachableTaint).Select(t => t.DeepClone()).ToArray();
            await grain.Patch(new JsonObject { ["spec"] = new JsonObject { ["taints"] = kept.Length == 0 ? null : new JsonArray(kept) } }.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" });
            await events.RecordAsync(node, "Normal", "NodeReady", $"Node {name} status is now: NodeReady", "node-controller");
        }
    }

    /// <summary>
    /// The first sight of a node counts as a renewal now (as in Kubernetes); later, only a renewTime later than the
    /// latest seen does (Kubernetes compares the same way): one that goes back, as a reactivated lease grain's stale
    /// row does, is no sign of life, and the latest seen is kept. Both stamps come from the same kubelet's clock, so
    /// the comparison is immune to skew between hosts. Only a renewal seen here proves the node alive again, so a
    /// restarted controller keeps a dead node's taints.
    /// </summary>
    private LeaseObservation Observe(string node, string? renewTime, DateTimeOffset now)
    {
        if (!observed.TryGetValue(node, out var seen))
        {
            seen = new LeaseObservation(renewTime, now, Renewed: false);
        }
        else if (IsLater(renewTime, seen.RenewTime))
        {
            seen = new LeaseObservation(renewTime, now, Renewed: true);
        }

        observed[node] = seen;
        return seen;
    }

    private static bool IsLater(string? renewTime, string? seen)
    {
        if (string.Equals(renewTime, seen, StringComparison.Ordinal) || renewTime is null)
        {
            return false;
        }

        // A stamp that does not parse cannot be ordered: any change of it counts, as before.
        return ParseTime(renewTime) is not { } later || ParseTime(seen) is not { } earlier || later > earlier;
    }

    private static async Task MarkUnknownAsync(IObjectGrain grain, DateTimeOffset now)
    {
        var patch = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Ready",
                    ["status"] = "Unknown",
                    ["reason"] = "NodeStatusUnknown",
                    ["message"] = "Kubelet stopped posting node status.",
                    ["lastTransitionTime"] = Stamp(now),
                }),
            },
        };
        await grain.Patch(patch.ToJsonString(), new WriteOptions { Subresource = "status", PatchType = "application/strategic-merge-patch+json" });
    }

    private async Task EvictPodsAsync(string node)
    {
        var pods = await GrainFactory.GetGrain<IResourceCollectionGrain>("pods").List(new ListRequest { FieldSelector = "spec.nodeName=" + node });
        foreach (var json in pods.Items)
        {
            var pod = JsonNode.Parse(json)!.AsObject();
            var ns = (string)pod["metadata"]!["namespace"]!;
            var name = (string)pod["metadata"]!["name"]!;
            if (ToleratesUnreachableForever(pod) || (pod["metadata"]?["deletionTimestamp"] is not null && HasDisruptionTarget(pod)))
            {
                continue;
            }

            LogEvicting(ns, name, node);
            await events.RecordAsync(pod, "Normal", "TaintManagerEviction", $"Marking for deletion Pod {ns}/{name}", "taint-eviction-controller");
            try
            {
                await MarkDisruptedAsync(pod, ns, name);
                // The node is gone: nothing there can stop containers gracefully, so the object goes now.
                await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", ns, name).GrainKey).Delete(new DeleteOptions { GracePeriodSeconds = 0 });
            }
            catch (ApiException ex) when (ex.Code is 404 or 409)
            {
                // Already gone.
            }
        }
    }

    /// <summary>
    /// Kubernetes' taint eviction adds the DisruptionTarget condition before the delete (a Job's pod failure policy
    /// matches on it). The pod is also made Failed, as PodGC makes a pod it force-deletes: no kubelet on the lost
    /// node will end it, and a Job that replaces only failed pods would wait for it forever.
    /// </summary>
    private async Task MarkDisruptedAsync(JsonObject pod, string ns, string name)
    {
        var status = new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "DisruptionTarget",
                ["status"] = "True",
                ["reason"] = "DeletionByTaintManager",
                ["message"] = "Taint manager: deleting due to NoExecute taint",
                ["lastTransitionTime"] = Stamp(time.GetUtcNow()),
            }),
        };
        if ((string?)pod["status"]?["phase"] is not ("Succeeded" or "Failed"))
        {
            status["phase"] = "Failed";
        }

        await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", ns, name).GrainKey)
            .Patch(new JsonObject { ["status"] = status }.ToJsonString(), new WriteOptions { Subresource = "status", PatchType = "application/strategic-merge-patch+json" });
    }

    private static bool HasDisruptionTarget(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Any(c => (string?)c["type"] == "DisruptionTarget" && (string?)c["status"] == "True");

    private static bool ToleratesUnreachableForever(JsonObject pod) =>
        (pod["spec"]?["tolerations"] as JsonArray ?? []).OfType<JsonObject>().Any(t =>
            ((string?)t["key"] == UnreachableTaint || ((string?)t["operator"] == "Exists" && t["key"] is null))
            && ((string?)t["effect"] is null or "" or "NoExecute")
            && JsonNumbers.ToInt64(t["tolerationSeconds"]) is null);

    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private readonly record struct LeaseObservation(string? RenewTime, DateTimeOffset ObservedAt, bool Renewed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} has not renewed its lease for {Seconds:F0} s: marking it unreachable")]
    private partial void LogUnreachable(string node, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} renews its lease again: removing the unreachable taints")]
    private partial void LogReachable(string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Evicting pod {Namespace}/{Name} from unreachable node {Node}")]
    private partial void LogEvicting(string @namespace, string name, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking a node failed: {Reason}")]
    private partial void LogCheckFailed(Exception ex, string reason);
}
