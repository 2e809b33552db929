using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Events;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Scheduling;
using Microsoft.Extensions.Logging;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// Kubernetes' DaemonSet controller for one DaemonSet: one pod on every node whose labels, taints and
/// schedulability the pod template accepts. Pods are pinned the way Kubernetes pins them, with a required
/// node affinity on <c>metadata.name</c>, so the scheduler binds them. A template change replaces pods
/// (RollingUpdate, at most <c>maxUnavailable</c> nodes without an available pod). Every pass starts from
/// the store, so running twice, late or on another silo changes nothing.
/// </summary>
public sealed partial class DaemonSetControllerGrain : ReconcilerGrain, IDaemonSetControllerGrain
{
    public const string Component = "daemonset-controller";

    /// <summary>The label carrying the template hash, under Kubernetes' name for it.</summary>
    public const string RevisionLabel = "controller-revision-hash";

    // What Kubernetes' AddOrUpdateDaemonPodTolerations adds: a daemon stays through node trouble.
    private static readonly (string Key, string Effect)[] DaemonTolerations =
    [
        (Taint.NotReadyKey, Taint.NoExecute),
        (Taint.UnreachableKey, Taint.NoExecute),
        ("node.kubernetes.io/disk-pressure", Taint.NoSchedule),
        ("node.kubernetes.io/memory-pressure", Taint.NoSchedule),
        ("node.kubernetes.io/pid-pressure", Taint.NoSchedule),
        (Taint.UnschedulableKey, Taint.NoSchedule),
    ];

    private readonly EventRecorder events;
    private readonly ILogger<DaemonSetControllerGrain> logger;

    public DaemonSetControllerGrain(EventRecorder events, TimeProvider time, ILogger<DaemonSetControllerGrain> logger)
        : base(logger, time)
    {
        this.events = events;
        this.logger = logger;
    }

    /// <summary>The pod a DaemonSet runs on <paramref name="nodeName"/> (null: not pinned yet, as used for the node checks).</summary>
    internal static JsonObject BuildPod(JsonObject ds, string ns, string? nodeName, string hash)
    {
        var template = ds["spec"]?["template"] as JsonObject ?? new JsonObject();
        var templateMeta = template["metadata"] as JsonObject;
        var meta = new JsonObject
        {
            ["namespace"] = ns,
            ["ownerReferences"] = new JsonArray(OwnerReference("DaemonSet", Name(ds), Uid(ds))),
        };
        foreach (var field in new[] { "labels", "annotations", "finalizers" })
        {
            if (templateMeta?[field] is { } value)
            {
                meta[field] = value.DeepClone();
            }
        }

        var labels = meta["labels"] as JsonObject ?? new JsonObject();
        labels[RevisionLabel] = hash;
        meta["labels"] = labels;

        var spec = template["spec"]?.DeepClone() as JsonObject ?? new JsonObject();
        var tolerations = spec["tolerations"] as JsonArray ?? new JsonArray();
        foreach (var (key, effect) in DaemonTolerations)
        {
            if (!tolerations.OfType<JsonObject>().Any(t => Str(t["key"]) == key && Str(t["effect"]) == effect))
            {
                tolerations.Add(new JsonObject { ["key"] = key, ["operator"] = "Exists", ["effect"] = effect });
            }
        }

        spec["tolerations"] = tolerations;
        if (nodeName is not null)
        {
            // Kubernetes' ReplaceDaemonSetPodNodeNameNodeAffinity: the node's own terms were already checked here.
            var affinity = spec["affinity"] as JsonObject ?? new JsonObject();
            var nodeAffinity = affinity["nodeAffinity"] as JsonObject ?? new JsonObject();
            nodeAffinity["requiredDuringSchedulingIgnoredDuringExecution"] = new JsonObject
            {
                ["nodeSelectorTerms"] = new JsonArray(new JsonObject
                {
                    ["matchFields"] = new JsonArray(new JsonObject
                    {
                        ["key"] = "metadata.name",
                        ["operator"] = "In",
                        ["values"] = new JsonArray(nodeName),
                    }),
                }),
            };
            affinity["nodeAffinity"] = nodeAffinity;
            spec["affinity"] = affinity;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = spec };
    }

    /// <summary>The node a daemon pod is for: where it is bound, else the node its affinity pins it to.</summary>
    internal static string? TargetNode(JsonObject pod)
    {
        if (Str(pod["spec"]?["nodeName"]) is { Length: > 0 } bound)
        {
            return bound;
        }

        var terms = pod["spec"]?["affinity"]?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]?["nodeSelectorTerms"] as JsonArray;
        return terms?.OfType<JsonObject>()
            .SelectMany(t => (t["matchFields"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Where(f => Str(f["key"]) == "metadata.name" && Str(f["operator"]) == "In" && f["values"] is JsonArray { Count: 1 })
            .Select(f => Str(f["values"]![0]))
            .FirstOrDefault();
    }

    private protected override async Task<ReconcileOutcome> ReconcileOnceAsync()
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var json = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("daemonsets.apps", ns, name).GrainKey).Get();
        if (json is null)
        {
            return ReconcileOutcome.Gone;
        }

        var ds = Parse(json);
        var uid = Uid(ds);
        var spec = ds["spec"] as JsonObject ?? new JsonObject();
        var minReadySeconds = Int(spec["minReadySeconds"]);
        var now = Time.GetUtcNow();
        var changed = false;

        var nodes = (await GrainFactory.GetGrain<IResourceCollectionGrain>("nodes").List(new ListRequest())).Items.Select(Parse).ToList();
        var pods = (await GrainFactory.GetGrain<IResourceCollectionGrain>("pods").List(new ListRequest { Namespace = ns })).Items
            .Select(Parse).Where(p => IsControlledBy(p, uid)).ToList();

        // The current template's ControllerRevision names the hash the pods carry (after an undo, an old one's).
        var hash = PodTemplateHash.Compute(spec["template"], Int(ds["status"]?["collisionCount"]));
        var oldRevisions = new List<JsonObject>();
        if (!IsDeleting(ds))
        {
            var history = await ConstructHistoryAsync(ds, ns, pods);
            if (history is null)
            {
                // A hash collision bumped status.collisionCount: go again with the new hash.
                return new ReconcileOutcome(true, true, null);
            }

            (hash, oldRevisions) = (history.Value.Hash, history.Value.Old);
        }

        // Which nodes should run the pod: checked with the unpinned pod, tolerations included.
        var probePod = BuildPod(ds, ns, null, hash);
        probePod["metadata"]!["name"] = name;
        var probe = PodInfo.Parse(probePod);
        var shouldRun = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes.Where(n => !IsDeleting(n)))
        {
            var info = NodeInfo.Parse(node);
            if (SchedulingFilters.NodeUnschedulable(probe, info) is null
                && SchedulingFilters.TaintToleration(probe, info) is null
                && SchedulingFilters.NodeAffinity(probe, info) is null)
            {
                shouldRun.Add(info.Name);
            }
        }

        var byNode = pods.Where(p => !IsDeleting(p))
            .GroupBy(p => TargetNode(p) ?? "")
            .ToDictionary(g => g.Key, g => g.OrderBy(Created).ToList(), StringComparer.Ordinal);

        var dsDeleting = IsDeleting(ds);
        var toCreate = new List<string>();
        var toDelete = new List<JsonObject>();
        foreach (var (node, onNode) in byNode)
        {
            if (!shouldRun.Contains(node))
            {
                toDelete.AddRange(onNode);
                continue;
            }

            // A failed daemon pod will not restart by itself: replace it (Kubernetes does, with backoff).
            var failed = onNode.Where(p => Str(p["status"]?["phase"]) == "Failed").ToList();
            toDelete.AddRange(failed);
            var running = onNode.Except(failed).ToList();
            toDelete.AddRange(running.Skip(1));
        }

        // A node whose only pod failed gets its new one on the next pass, once the failed one is gone.
        toCreate.AddRange(shouldRun.Where(n => !byNode.ContainsKey(n)).Order(StringComparer.Ordinal));

        // Rolling update: old pods go while fewer than maxUnavailable nodes lack an available pod; old
        // unavailable pods go at once, as they serve nothing anyway.
        var strategy = spec["updateStrategy"] as JsonObject;
        if (!dsDeleting && Str(strategy?["type"]) != "OnDelete")
        {
            var maxUnavailable = IntOrPercent.Scaled(strategy?["rollingUpdate"]?["maxUnavailable"], shouldRun.Count, roundUp: true, fallback: 1);
            if (maxUnavailable < 1)
            {
                maxUnavailable = 1;
            }

            var current = shouldRun.Where(byNode.ContainsKey).Select(n => byNode[n][0]).Where(p => !toDelete.Contains(p)).ToList();
            var old = current.Where(p => LabelSelectorValue(p, RevisionLabel) != hash).ToList();
            var unavailable = shouldRun.Count - current.Count(p => IsPodAvailable(p, minReadySeconds, now));
            foreach (var pod in old.OrderBy(p => IsPodAvailable(p, minReadySeconds, now)))
            {
                if (!IsPodAvailable(pod, minReadySeconds, now))
                {
                    toDelete.Add(pod);
                }
                else if (unavailable < maxUnavailable)
                {
                    toDelete.Add(pod);
                    unavailable++;
                }
            }
        }

        if (!dsDeleting)
        {
            foreach (var node in toCreate)
            {
                await CreatePodAsync(ds, ns, node, hash);
                changed = true;
            }
        }

        foreach (var pod in toDelete.Distinct())
        {
            await DeletePodAsync(ds, pod);
            changed = true;
        }

        if (!dsDeleting)
        {
            changed |= await CleanupHistoryAsync(ds, oldRevisions, pods);
        }

        var status = ComputeStatus(ds, pods.Where(p => !IsDeleting(p) && !toDelete.Contains(p)).ToList(), shouldRun, hash, minReadySeconds, now);
        if (Canonical(status) != Canonical(ds["status"]))
        {
            await WriteStatusAsync(ns, name, ds, status);
        }

        TimeSpan? requeue = null;
        if (minReadySeconds > 0)
        {
            var next = pods.Where(p => IsPodReady(p) && !IsPodAvailable(p, minReadySeconds, now))
                .Select(p => (DateTimeOffset?)ReadySince(p)!.Value.AddSeconds(minReadySeconds)).Min();
            requeue = next - now + TimeSpan.FromMilliseconds(100);
        }

        return new ReconcileOutcome(true, changed, requeue);
    }

    private static string? LabelSelectorValue(JsonObject pod, string label) => Str(pod["metadata"]?["labels"]?[label]);

    private static JsonObject ComputeStatus(JsonObject ds, List<JsonObject> pods, HashSet<string> shouldRun, string hash, int minReadySeconds, DateTimeOffset now)
    {
        var byNode = pods.GroupBy(p => TargetNode(p) ?? "").ToDictionary(g => g.Key, g => g.OrderBy(Created).First(), StringComparer.Ordinal);
        var scheduled = byNode.Where(p => shouldRun.Contains(p.Key)).Select(p => p.Value).ToList();
        var available = scheduled.Count(p => IsPodAvailable(p, minReadySeconds, now));
        var status = new JsonObject
        {
            ["currentNumberScheduled"] = scheduled.Count,
            ["numberMisscheduled"] = byNode.Keys.Count(n => !shouldRun.Contains(n)),
            ["desiredNumberScheduled"] = shouldRun.Count,
            ["numberReady"] = scheduled.Count(IsPodReady),
            ["observedGeneration"] = Generation(ds),
            ["updatedNumberScheduled"] = scheduled.Count(p => LabelSelectorValue(p, RevisionLabel) == hash),
            ["numberAvailable"] = available,
            ["numberUnavailable"] = shouldRun.Count - available,
        };
        if (ds["status"]?["collisionCount"] is { } collisions)
        {
            status["collisionCount"] = collisions.DeepClone();
        }

        if (ds["status"]?["conditions"] is JsonArray conditions && conditions.Count > 0)
        {
            status["conditions"] = conditions.DeepClone();
        }

        return status;
    }

    private async Task WriteStatusAsync(string ns, string name, JsonObject ds, JsonObject status)
    {
        var update = ds.DeepClone().AsObject();
        update["metadata"]!.AsObject().Remove("resourceVersion");
        update["status"] = status;
        try
        {
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("daemonsets.apps", ns, name).GrainKey)
                .Update(update.ToJsonString(), new WriteOptions { Subresource = "status" });
        }
        catch (ApiException ex) when (ex.Code == 404)
        {
            // Deleted meanwhile: nothing to report on.
        }
    }

    private async Task CreatePodAsync(JsonObject ds, string ns, string node, string hash)
    {
        var prefix = GeneratedNames.Prefix(Name(ds));
        var pod = BuildPod(ds, ns, node, hash);
        for (var attempt = 0; ; attempt++)
        {
            var podName = GeneratedNames.Next(prefix);
            pod["metadata"]!["name"] = podName;
            pod["metadata"]!["generateName"] = prefix;
            try
            {
                await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", ns, podName).GrainKey).Create(pod.ToJsonString(), WriteOptions.Default);
                await events.RecordAsync(ds, "Normal", "SuccessfulCreate", $"Created pod: {podName}", Component);
                LogCreated(podName, node);
                return;
            }
            catch (ApiException ex) when (ex.Code == 409 && attempt < 8)
            {
                // The random name is taken: draw another.
            }
            catch (ApiException ex)
            {
                await events.RecordAsync(ds, "Warning", "FailedCreate", $"Error creating: {ex.Message}", Component);
                throw;
            }
        }
    }

    private async Task DeletePodAsync(JsonObject ds, JsonObject pod)
    {
        var podName = Name(pod);
        try
        {
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey("pods", Str(pod["metadata"]?["namespace"]) ?? "", podName).GrainKey)
                .Delete(new DeleteOptions { PreconditionUid = Uid(pod) });
            await events.RecordAsync(ds, "Normal", "SuccessfulDelete", $"Deleted pod: {podName}", Component);
        }
        catch (ApiException ex) when (ex.Code is 404 or 409)
        {
            // Gone already, or a new pod of the same name: not ours to delete now.
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Created daemon pod {Pod} for node {Node}")]
    private partial void LogCreated(string pod, string node);
}
