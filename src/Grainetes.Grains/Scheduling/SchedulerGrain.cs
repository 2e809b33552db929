using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Abstractions.Telemetry;
using Grainetes.Grains.Events;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Scheduling;
using Microsoft.Extensions.Logging;

namespace Grainetes.Grains.Scheduling;

/// <summary>
/// The default scheduler. It lists nodes and pods on activation, then follows both change logs with long polls
/// in the background. Decisions are made one pod at a time, synchronously, against <see cref="SchedulingCache"/>;
/// a decision is accounted (assumed) before its binding is sent, so bindings can be in flight concurrently
/// without double-booking. Pods that fit nowhere wait until a node appears or changes or a pod goes away.
/// Reentrant: every turn runs on the activation's single thread, so state needs no locks, but each await is a
/// point where other turns (watch batches, binding completions) interleave.
/// Each attempt is a span under the pod's latest change (so it continues the trace that created the pod) and is
/// measured, as is each pod's time from arrival to binding.
/// </summary>
[Reentrant]
public sealed partial class SchedulerGrain : Grain, ISchedulerGrain, IRemindable
{
    public const string Component = "default-scheduler";

    private const string ReminderName = "scheduler-backstop";
    private const int MaxConcurrentWrites = 128;
    private const int MaxConditionAttempts = 5;
    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly WriteOptions BindingWrite = new() { PatchType = "application/merge-patch+json", Subresource = "binding" };
    private static readonly WriteOptions StatusWrite = new() { PatchType = "application/merge-patch+json", Subresource = "status" };

    private readonly EventRecorder recorder;
    private readonly GrainetesTelemetry telemetry;
    private readonly TimeProvider time;
    private readonly ILogger<SchedulerGrain> logger;
    private readonly SchedulingCache cache = new();
    private readonly SchedulingAlgorithm algorithm = new();
    private readonly CancellationTokenSource stopping = new();

    // The active queue: pods to decide, in arrival order; the dictionary holds each one's latest view.
    private readonly Queue<string> queue = new();
    private readonly Dictionary<string, PodInfo> queued = new(StringComparer.Ordinal);

    // Pods that fit nowhere, waiting for a cluster change; and the last failure reported for each.
    private readonly Dictionary<string, PodInfo> unschedulable = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> reportedFailures = new(StringComparer.Ordinal);

    // Pods whose binding is being written.
    private readonly HashSet<string> binding = new(StringComparer.Ordinal);

    // When each pod waiting for a node arrived, and the trace context of its latest change.
    private readonly Dictionary<string, Arrival> arrivals = new(StringComparer.Ordinal);

    private bool synced;
    private bool pumping;
    private int writesInFlight;
    private TaskCompletionSource? writeSlotFreed;
    private Task? following;

    public SchedulerGrain(EventRecorder recorder, GrainetesTelemetry telemetry, TimeProvider time, ILogger<SchedulerGrain> logger)
    {
        this.recorder = recorder;
        this.telemetry = telemetry;
        this.time = time;
        this.logger = logger;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The watch loops are this grain's work, not calls into it: keep it alive while they run. The reminder
        // brings it back (and re-runs a pass) if its silo dies.
        DelayDeactivation(TimeSpan.MaxValue);
        telemetry.SchedulerStarted();
        await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        following = FollowAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        stopping.Cancel();
        return Task.CompletedTask;
    }

    public Task Wake()
    {
        EnsureFollowing();
        return Task.CompletedTask;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        EnsureFollowing();
        if (!synced)
        {
            return;
        }

        // The durable backstop: anything a lost event left behind is picked up here, at worst a minute late.
        LogBackstopPass(unschedulable.Count);
        RetryUnschedulable();
        try
        {
            var pods = await Collection("pods").List(new ListRequest());
            foreach (var json in pods.Items)
            {
                var pod = PodInfo.Parse(json);
                if (pod.NodeName.Length > 0)
                {
                    cache.Observe(pod);
                }
                else if (pod.NeedsScheduling && !IsHandled(pod.Key))
                {
                    Enqueue(pod);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFollowFailed(ex, "pods");
        }

        Pump();
    }

    private void EnsureFollowing()
    {
        if (following is null || following.IsCompleted)
        {
            following = FollowAsync();
        }
    }

    private async Task FollowAsync()
    {
        // The watch loops live as long as the activation: they belong to no caller's trace.
        Activity.Current = null;
        var token = stopping.Token;
        try
        {
            // Nodes first: deciding pods against an empty node list would report every pod unschedulable.
            var nodesVersion = await RetryAsync(RelistNodesAsync, "nodes", token);
            var podsVersion = await RetryAsync(RelistPodsAsync, "pods", token);
            synced = true;
            LogSynced(cache.Nodes.Count, cache.PodCount, queued.Count);
            Pump();
            await Task.WhenAll(
                FollowKindAsync("nodes", nodesVersion, RelistNodesAsync, OnNodeEvent, token),
                FollowKindAsync("pods", podsVersion, RelistPodsAsync, OnPodEvent, token));
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Deactivating.
        }
    }

    private async Task FollowKindAsync(string kind, long version, Func<Task<long>> relist, Action<ChangeEvent> apply, CancellationToken token)
    {
        var collection = Collection(kind);
        while (!token.IsCancellationRequested)
        {
            WatchBatch batch;
            try
            {
                batch = await collection.Poll(version, null, PollWait);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFollowFailed(ex, kind);
                await Task.Delay(RetryDelay, time, token);
                continue;
            }

            if (batch.Gone)
            {
                LogRelist(kind, version);
                version = await RetryAsync(relist, kind, token);
                Pump();
                continue;
            }

            foreach (var change in batch.Events)
            {
                if (change.ResourceVersion > version)
                {
                    apply(change);
                }
            }

            version = batch.Events.Count > 0 ? Math.Max(version, batch.Events[^1].ResourceVersion) : Math.Max(version, batch.LatestResourceVersion);
            Pump();
        }
    }

    private async Task<long> RetryAsync(Func<Task<long>> action, string kind, CancellationToken token)
    {
        while (true)
        {
            try
            {
                return await action();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFollowFailed(ex, kind);
                await Task.Delay(RetryDelay, time, token);
            }
        }
    }

    private async Task<long> RelistNodesAsync()
    {
        var list = await Collection("nodes").List(new ListRequest());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var changed = false;
        foreach (var json in list.Items)
        {
            var node = NodeInfo.Parse(json);
            seen.Add(node.Name);
            changed |= cache.SetNode(node);
        }

        foreach (var gone in cache.Nodes.Select(n => n.Name).Where(n => !seen.Contains(n)).ToList())
        {
            cache.RemoveNode(gone);
        }

        if (changed)
        {
            RetryUnschedulable();
        }

        return list.ResourceVersion;
    }

    private async Task<long> RelistPodsAsync()
    {
        var list = await Collection("pods").List(new ListRequest());
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var json in list.Items)
        {
            var pod = PodInfo.Parse(json);
            seen.Add(pod.Key);
            ApplyPod(pod);
        }

        // What the list no longer holds was deleted while we were not looking (bindings in flight settle themselves).
        var freed = false;
        foreach (var key in cache.PodKeys.Where(k => !seen.Contains(k) && !binding.Contains(k)).ToList())
        {
            freed |= cache.Remove(key);
        }

        foreach (var key in queued.Keys.Concat(unschedulable.Keys).Where(k => !seen.Contains(k)).ToList())
        {
            Drop(key);
        }

        if (freed)
        {
            RetryUnschedulable();
        }

        return list.ResourceVersion;
    }

    private void OnNodeEvent(ChangeEvent change)
    {
        if (change.Type == WatchEventType.Deleted)
        {
            cache.RemoveNode(change.Name);
            return;
        }

        if (cache.SetNode(NodeInfo.Parse(change.Json)))
        {
            RetryUnschedulable();
        }
    }

    private void OnPodEvent(ChangeEvent change)
    {
        if (change.Type == WatchEventType.Deleted)
        {
            var key = change.Namespace + "/" + change.Name;
            Drop(key);
            if (!binding.Contains(key) && cache.Remove(key))
            {
                RetryUnschedulable();
            }

            return;
        }

        ApplyPod(PodInfo.Parse(change.Json), change.TraceParent);
    }

    private void ApplyPod(PodInfo pod, string? traceParent = null)
    {
        if (pod.NodeName.Length > 0)
        {
            Drop(pod.Key);
            if (cache.Observe(pod))
            {
                RetryUnschedulable();
            }

            return;
        }

        if (!pod.NeedsScheduling)
        {
            Drop(pod.Key);
            return;
        }

        // A binding in flight or one the watch has not shown yet: this is an older view of the pod.
        if (binding.Contains(pod.Key) || cache.NodeOf(pod.Key) is not null)
        {
            return;
        }

        if (unschedulable.ContainsKey(pod.Key))
        {
            // Waits for a cluster change, not for its own status updates.
            unschedulable[pod.Key] = pod;
            return;
        }

        Enqueue(pod, traceParent);
    }

    private bool IsHandled(string key) =>
        queued.ContainsKey(key) || unschedulable.ContainsKey(key) || binding.Contains(key) || cache.NodeOf(key) is not null;

    private void Enqueue(PodInfo pod, string? traceParent = null)
    {
        if (!queued.ContainsKey(pod.Key))
        {
            queue.Enqueue(pod.Key);
        }

        queued[pod.Key] = pod;
        if (!arrivals.TryGetValue(pod.Key, out var arrival))
        {
            arrivals[pod.Key] = new Arrival(Stopwatch.GetTimestamp(), traceParent);
        }
        else if (traceParent is not null)
        {
            arrivals[pod.Key] = arrival with { TraceParent = traceParent };
        }
    }

    private void Drop(string key)
    {
        queued.Remove(key);
        unschedulable.Remove(key);
        reportedFailures.Remove(key);
        arrivals.Remove(key);
    }

    private void RetryUnschedulable()
    {
        if (unschedulable.Count == 0)
        {
            return;
        }

        foreach (var pod in unschedulable.Values)
        {
            Enqueue(pod);
        }

        unschedulable.Clear();
    }

    /// <summary>Starts draining the queue unless a drain is running; never awaited by its callers.</summary>
    private void Pump()
    {
        if (synced && !pumping && queue.Count > 0)
        {
            _ = PumpAsync();
        }
    }

    private async Task PumpAsync()
    {
        pumping = true;
        try
        {
            while (queue.TryDequeue(out var key))
            {
                if (!queued.Remove(key, out var pod))
                {
                    continue;
                }

                // The decision and its accounting happen in this one turn; only the writes are awaited.
                var ambient = Activity.Current;
                var attempt = StartAttempt(pod);
                try
                {
                    var result = algorithm.Schedule(pod, cache.Nodes);
                    if (result.Node is { } node)
                    {
                        cache.Assume(pod, node.Name);
                        binding.Add(pod.Key);
                        reportedFailures.Remove(pod.Key);
                        attempt.Span?.SetTag("k8s.node", node.Name);
                        StartWrite(BindAsync(pod, node.Name, attempt));
                    }
                    else
                    {
                        unschedulable[pod.Key] = pod;
                        attempt.Span?.SetTag("grainetes.scheduler.reason", result.Message);
                        if (!reportedFailures.TryGetValue(pod.Key, out var reported) || reported != result.Message)
                        {
                            reportedFailures[pod.Key] = result.Message!;
                            LogUnschedulable(pod.Key, result.Message!);
                            StartWrite(ReportUnschedulableAsync(pod, result.Message!));
                        }

                        attempt.Finish(telemetry, "unschedulable");
                    }
                }
                finally
                {
                    // The attempt's span is current only for the writes started under it.
                    Activity.Current = ambient;
                }

                while (writesInFlight >= MaxConcurrentWrites && !stopping.IsCancellationRequested)
                {
                    writeSlotFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    await writeSlotFreed.Task;
                }
            }
        }
        finally
        {
            pumping = false;
        }
    }

    private void StartWrite(Task write)
    {
        writesInFlight++;
        _ = FinishWriteAsync(write);
    }

    private async Task FinishWriteAsync(Task write)
    {
        try
        {
            await write;
        }
        catch (Exception ex)
        {
            LogWriteFailed(ex);
        }
        finally
        {
            writesInFlight--;
            var freed = writeSlotFreed;
            writeSlotFreed = null;
            freed?.TrySetResult();
        }
    }

    /// <summary>One decision: its span (under the pod's latest change) and when it started.</summary>
    private SchedulingAttempt StartAttempt(PodInfo pod)
    {
        var now = Stopwatch.GetTimestamp();
        var arrival = arrivals.GetValueOrDefault(pod.Key) ?? new Arrival(now, null);
        var span = arrival.TraceParent is null ? null : telemetry.StartSpan("schedule pod", arrival.TraceParent);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("k8s.namespace", pod.Namespace);
            span.SetTag("k8s.name", pod.Name);
        }

        return new SchedulingAttempt(span, now, arrival.QueuedAt);
    }

    private async Task BindAsync(PodInfo pod, string nodeName, SchedulingAttempt attempt)
    {
        var outcome = "error";
        try
        {
            if (await TryBindAsync(pod, nodeName))
            {
                outcome = "scheduled";
                arrivals.Remove(pod.Key);
                telemetry.RecordPodScheduled(Stopwatch.GetElapsedTime(attempt.QueuedAt));
            }
        }
        finally
        {
            attempt.Finish(telemetry, outcome);
        }
    }

    /// <summary>Writes the binding and what follows it; false when the pod went back to the queue instead.</summary>
    private async Task<bool> TryBindAsync(PodInfo pod, string nodeName)
    {
        var podGrain = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", pod.Namespace, pod.Name).GrainKey);
        string bound;
        try
        {
            // A node removed after the decision must not receive the pod; the watch may not have said so yet.
            if (await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", nodeName).GrainKey).Get() is null)
            {
                binding.Remove(pod.Key);
                cache.Forget(pod.Key);
                cache.RemoveNode(nodeName);
                LogNodeGone(pod.Key, nodeName);
                Enqueue(pod);
                Pump();
                return false;
            }

            // The resource version makes the binding conditional on the pod being as decided on: never bound twice.
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["resourceVersion"] = pod.ResourceVersion },
                ["spec"] = new JsonObject { ["nodeName"] = nodeName },
            };
            bound = await podGrain.Patch(patch.ToJsonString(), BindingWrite);
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            binding.Remove(pod.Key);
            cache.Forget(pod.Key);
            await RequeueFromStoreAsync(podGrain);
            return false;
        }
        catch (Exception ex)
        {
            binding.Remove(pod.Key);
            cache.Forget(pod.Key);
            LogBindFailed(ex, pod.Key, nodeName);
            await Task.Delay(RetryDelay, time);
            await RequeueFromStoreAsync(podGrain);
            return false;
        }

        binding.Remove(pod.Key);
        var boundPod = PodInfo.Parse(bound);
        cache.Observe(boundPod);
        LogBound(pod.Key, nodeName);
        var written = await SetScheduledConditionAsync(podGrain, "True", null, null);
        await recorder.RecordAsync(
            JsonNode.Parse(written ?? bound)!.AsObject(),
            "Normal",
            "Scheduled",
            $"Successfully assigned {pod.Namespace}/{pod.Name} to {nodeName}",
            Component);
        return true;
    }

    /// <summary>After a failed binding: the pod's own latest view decides whether it still needs a node.</summary>
    private async Task RequeueFromStoreAsync(IObjectGrain podGrain)
    {
        var json = await podGrain.Get();
        if (json is null)
        {
            return;
        }

        ApplyPod(PodInfo.Parse(json));
        Pump();
    }

    private async Task ReportUnschedulableAsync(PodInfo pod, string message)
    {
        var podGrain = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", pod.Namespace, pod.Name).GrainKey);
        var written = await SetScheduledConditionAsync(podGrain, "False", "Unschedulable", message);

        // No change to the condition means this failure was reported before (by an earlier activation).
        if (written is not null)
        {
            await recorder.RecordAsync(JsonNode.Parse(written)!.AsObject(), "Warning", "FailedScheduling", message, Component);
        }
    }

    /// <summary>
    /// Sets the PodScheduled condition, keeping the others: read, modify, write with the read's resource
    /// version, again on conflict. Returns the stored pod, or null when nothing was written.
    /// </summary>
    private async Task<string?> SetScheduledConditionAsync(IObjectGrain podGrain, string status, string? reason, string? message)
    {
        for (var attempt = 0; attempt < MaxConditionAttempts; attempt++)
        {
            var json = await podGrain.Get();
            if (json is null)
            {
                return null;
            }

            var pod = JsonNode.Parse(json)!.AsObject();
            if (status == "False" && !string.IsNullOrEmpty((string?)pod["spec"]?["nodeName"]))
            {
                return null; // bound meanwhile: the failure is history
            }

            var conditions = pod["status"]?["conditions"] as JsonArray ?? [];
            var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "PodScheduled");
            if (existing is not null && (string?)existing["status"] == status && (string?)existing["reason"] == reason && (string?)existing["message"] == message)
            {
                return null;
            }

            var condition = new JsonObject
            {
                ["type"] = "PodScheduled",
                ["status"] = status,
                ["lastTransitionTime"] = existing is not null && (string?)existing["status"] == status
                    ? existing["lastTransitionTime"]?.DeepClone()
                    : time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            };
            if (reason is not null)
            {
                condition["reason"] = reason;
            }

            if (message is not null)
            {
                condition["message"] = message;
            }

            var updated = new JsonArray();
            foreach (var c in conditions)
            {
                updated.Add(ReferenceEquals(c, existing) ? condition : c?.DeepClone());
            }

            if (existing is null)
            {
                updated.Add(condition);
            }

            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["resourceVersion"] = (string?)pod["metadata"]?["resourceVersion"] },
                ["status"] = new JsonObject { ["conditions"] = updated },
            };
            try
            {
                return await podGrain.Patch(patch.ToJsonString(), StatusWrite);
            }
            catch (ApiException ex) when (ex.Code == 409)
            {
                // Someone else wrote the pod between our read and write: read again.
            }
            catch (ApiException ex) when (ex.Code == 404)
            {
                return null;
            }
        }

        return null;
    }

    private IResourceCollectionGrain Collection(string kind) => GrainFactory.GetGrain<IResourceCollectionGrain>(kind);

    private sealed record Arrival(long QueuedAt, string? TraceParent);

    private readonly record struct SchedulingAttempt(Activity? Span, long Started, long QueuedAt)
    {
        public void Finish(GrainetesTelemetry telemetry, string result)
        {
            telemetry.RecordSchedulingAttempt(result, Stopwatch.GetElapsedTime(Started));
            Span?.SetTag("grainetes.scheduler.result", result);
            Span?.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduler synced: {Nodes} nodes, {Pods} pods on nodes, {Queued} pods to schedule")]
    private partial void LogSynced(int nodes, int pods, int queued);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Bound {Pod} to {Node}")]
    private partial void LogBound(string pod, string node);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Pod} is unschedulable: {Message}")]
    private partial void LogUnschedulable(string pod, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} went away before {Pod} was bound to it; scheduling the pod again")]
    private partial void LogNodeGone(string pod, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Binding {Pod} to {Node} failed")]
    private partial void LogBindFailed(Exception ex, string pod, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A scheduler write failed")]
    private partial void LogWriteFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Following {Kind} failed; retrying")]
    private partial void LogFollowFailed(Exception ex, string kind);

    [LoggerMessage(Level = LogLevel.Information, Message = "The {Kind} change log no longer holds version {Version}; listing again")]
    private partial void LogRelist(string kind, long version);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Scheduler backstop pass; {Unschedulable} pods waiting")]
    private partial void LogBackstopPass(int unschedulable);
}
