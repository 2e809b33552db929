using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Metrics;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Events;
using Grainetes.Machinery.Autoscaling;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Scheduling;
using Grainetes.Machinery.Selectors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// Kubernetes' horizontal pod autoscaler (pkg/controller/podautoscaler) for one HPA: each sync period it reads the
/// target's scale and pods and the pods' usage, lets <see cref="ReplicaCalculator"/> propose a size per metric and
/// <see cref="AutoscalerHistory"/> stabilize and bound the largest, writes the target's <c>/scale</c> when the size
/// changes, and records what it saw in the HPA's status. Its own status writes wake it like any change of the HPA,
/// so a pass that finds the spec's generation already handled within the sync period only waits for the next one.
/// </summary>
public sealed partial class HorizontalPodAutoscalerControllerGrain : ReconcilerGrain, IHorizontalPodAutoscalerControllerGrain
{
    public const string Component = "horizontal-pod-autoscaler";

    private const string Autoscalers = "horizontalpodautoscalers.autoscaling";

    private readonly EventRecorder events;
    private readonly ResourceRegistry registry;
    private readonly HorizontalPodAutoscalerControllerOptions options;
    private readonly TimeProvider clock;
    private readonly ReplicaCalculator calculator;
    private readonly AutoscalerHistory history = new();
    private readonly ILogger<HorizontalPodAutoscalerControllerGrain> logger;
    private long handledGeneration = -1;
    private DateTimeOffset lastPass = DateTimeOffset.MinValue;

    public HorizontalPodAutoscalerControllerGrain(
        EventRecorder events,
        ResourceRegistry registry,
        TimeProvider time,
        IOptions<HorizontalPodAutoscalerControllerOptions> options,
        ILogger<HorizontalPodAutoscalerControllerGrain> logger)
        : base(logger, time)
    {
        this.events = events;
        this.registry = registry;
        this.options = options.Value;
        clock = options.Value.Clock ?? time;
        calculator = new ReplicaCalculator(options.Value.Tuning);
        this.logger = logger;
    }

    /// <summary>Reminders fire at most once a minute; the sync period's timer does the regular work, this keeps it alive.</summary>
    private protected override TimeSpan ResyncPeriod => TimeSpan.FromMinutes(1);

    private protected override async Task<ReconcileOutcome> ReconcileOnceAsync()
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var json = await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(Autoscalers, ns, name).GrainKey).Get();
        if (json is null || IsDeleting(Parse(json)))
        {
            return ReconcileOutcome.Gone;
        }

        var hpa = Parse(json);
        var sinceLast = Time.GetUtcNow() - lastPass;
        if (Generation(hpa) == handledGeneration && sinceLast < options.SyncPeriod)
        {
            // Woken by a status write (most likely our own): Kubernetes also evaluates an HPA once per period.
            return new ReconcileOutcome(true, false, options.SyncPeriod - sinceLast);
        }

        lastPass = Time.GetUtcNow();
        handledGeneration = Generation(hpa);
        await EvaluateAsync(ns, hpa);
        return new ReconcileOutcome(true, false, options.SyncPeriod);
    }

    /// <summary>Kubernetes' reconcileAutoscaler: one evaluation, ending with the status write.</summary>
    private async Task EvaluateAsync(string ns, JsonObject hpa)
    {
        var spec = AutoscalerSpec.Parse(hpa);
        var now = clock.GetUtcNow();
        var status = new AutoscalerStatus(hpa, Format(now));
        var reference = $"{spec.TargetKind}/{spec.TargetName}";

        var targetType = registry.FindByKind(spec.TargetApiVersion, spec.TargetKind);
        if (targetType is not { HasScale: true })
        {
            await FailedGetScaleAsync(hpa, status, $"no matches for kind \"{spec.TargetKind}\" in group \"{GroupOf(spec.TargetApiVersion)}\"");
            return;
        }

        var targetGrain = GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(targetType.StorageKey, ns, spec.TargetName).GrainKey);
        var targetJson = await targetGrain.Get();
        if (targetJson is null)
        {
            await FailedGetScaleAsync(hpa, status, $"{targetType.Plural}.{targetType.Group} \"{spec.TargetName}\" not found");
            return;
        }

        var target = Parse(targetJson);
        var specReplicas = Int(target["spec"]?["replicas"]);
        var currentReplicas = Int(target["status"]?["replicas"]);
        status.Set("AbleToScale", true, "SucceededGetScale", "the HPA controller was able to get the target's current scale");
        history.Seed(currentReplicas, now);

        var desired = 0;
        var rescaleReason = "";
        IReadOnlyList<JsonObject> metricStatuses = [];
        if (specReplicas == 0 && spec.MinReplicas != 0)
        {
            status.Set("ScalingActive", false, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero");
        }
        else if (currentReplicas > spec.MaxReplicas)
        {
            rescaleReason = "Current number of replicas above Spec.MaxReplicas";
            desired = spec.MaxReplicas;
        }
        else if (currentReplicas < spec.MinReplicas)
        {
            rescaleReason = "Current number of replicas below Spec.MinReplicas";
            desired = spec.MinReplicas;
        }
        else
        {
            var computed = await ComputeReplicasAsync(ns, hpa, spec, target, specReplicas, now, status);
            metricStatuses = computed.Statuses;
            if (computed.Replicas < 0)
            {
                await WriteStatusAsync(hpa, status.Build(currentReplicas, Int(hpa["status"]?["desiredReplicas"]), metricStatuses, lastScaleTime: null));
                if (status.ConditionsChanged)
                {
                    // Kubernetes repeats this every period and lets event aggregation count; one event per new failure is enough here.
                    await events.RecordAsync(hpa, "Warning", "FailedComputeMetricsReplicas", computed.Error ?? "", Component);
                }

                return;
            }

            desired = computed.Replicas;
            rescaleReason = desired > currentReplicas ? $"{computed.MetricName} above target" : desired < currentReplicas ? "All metrics below target" : "";
            var normalized = history.Normalize(spec.Behavior, spec.MinReplicas, spec.MaxReplicas, currentReplicas, desired, now, options.DownscaleStabilization);
            status.Set("AbleToScale", true, normalized.StabilizedReason, normalized.StabilizedMessage);
            status.Set("ScalingLimited", normalized.Limited, normalized.LimitedReason, normalized.LimitedMessage);
            desired = normalized.Replicas;
        }

        var rescale = desired != currentReplicas && !(specReplicas == 0 && spec.MinReplicas != 0);
        string? lastScaleTime = null;
        if (rescale)
        {
            try
            {
                await targetGrain.Update(
                    new JsonObject
                    {
                        ["apiVersion"] = "autoscaling/v1",
                        ["kind"] = "Scale",
                        ["metadata"] = new JsonObject { ["name"] = spec.TargetName, ["namespace"] = ns, ["resourceVersion"] = Str(target["metadata"]?["resourceVersion"]) },
                        ["spec"] = new JsonObject { ["replicas"] = desired },
                    }.ToJsonString(),
                    new WriteOptions { Subresource = "scale" });
            }
            catch (ApiException ex)
            {
                status.Set("AbleToScale", false, "FailedUpdateScale", $"the HPA controller was unable to update the target scale: {ex.Message}");
                await WriteStatusAsync(hpa, status.Build(currentReplicas, Int(hpa["status"]?["desiredReplicas"]), metricStatuses, lastScaleTime: null));
                await events.RecordAsync(hpa, "Warning", "FailedRescale", $"New size: {desired}; reason: {rescaleReason}; error: {ex.Message}", Component);
                throw;
            }

            status.Set("AbleToScale", true, "SucceededRescale", $"the HPA controller was able to update the target scale to {desired}");
            await events.RecordAsync(hpa, "Normal", "SuccessfulRescale", $"New size: {desired}; reason: {rescaleReason}", Component);
            history.RecordScale(spec.Behavior, currentReplicas, desired, now);
            lastScaleTime = Format(now);
            LogRescaled(ns, Name(hpa), reference, currentReplicas, desired, rescaleReason);
        }
        else
        {
            desired = currentReplicas;
        }

        await WriteStatusAsync(hpa, status.Build(currentReplicas, desired, metricStatuses, lastScaleTime));
    }

    /// <summary>Kubernetes' computeReplicasForMetrics: the largest proposal of the metrics that could be computed.</summary>
    private async Task<MetricsOutcome> ComputeReplicasAsync(
        string ns, JsonObject hpa, AutoscalerSpec spec, JsonObject target, int specReplicas, DateTimeOffset now, AutoscalerStatus status)
    {
        var selector = LabelSelector.FromJson(target["spec"]?["selector"]);
        if (selector.IsNothing || selector.IsEverything)
        {
            status.Set("ScalingActive", false, "InvalidSelector", "the HPA target's scale is missing a selector");
            return new MetricsOutcome(-1, "", [], "the HPA target's scale is missing a selector");
        }

        var pods = (await GrainFactory.GetGrain<IResourceCollectionGrain>("pods").List(new ListRequest { Namespace = ns })).Items
            .Select(Parse).Where(selector.Matches).ToList();
        var usage = (await GrainFactory.GetGrain<IClusterMetricsGrain>(0).Pods(ns))
            .GroupBy(u => u.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MaxBy(u => u.Timestamp)!, StringComparer.Ordinal);

        var replicas = 0;
        var metricName = "";
        var invalid = 0;
        (string Reason, string Message)? firstInvalid = null;
        string? firstError = null;
        var statuses = new List<JsonObject>();
        foreach (var unsupported in spec.UnsupportedMetrics)
        {
            invalid++;
            statuses.Add(new JsonObject { ["type"] = "" });
            var message = unsupported switch
            {
                "External" => "unable to get external metric: no external metrics API (external.metrics.k8s.io) is served",
                _ => "unable to get metric: no custom metrics API (custom.metrics.k8s.io) is served",
            };
            firstInvalid ??= ($"FailedGet{unsupported}Metric", "the HPA was unable to compute the replica count: " + message);
            firstError ??= message;
        }

        foreach (var metric in spec.Metrics)
        {
            var podFacts = pods.Select(p => Facts(p, metric.Resource)).ToList();
            var metrics = new Dictionary<string, PodMetric>(StringComparer.Ordinal);
            foreach (var pod in pods)
            {
                if (usage.TryGetValue(Name(pod), out var u) && u.Uid == Uid(pod))
                {
                    metrics[u.Name] = new PodMetric(MilliOf(u, metric.Resource), u.Timestamp, u.Window);
                }
            }

            try
            {
                ReplicaProposal proposal;
                JsonObject current;
                if (metric.AverageUtilization is { } utilization)
                {
                    proposal = calculator.ForUtilization(specReplicas, utilization, metric.Resource, podFacts, metrics, now);
                    current = new JsonObject { ["averageUtilization"] = proposal.Utilization, ["averageValue"] = QuantityFormat.FromMilli(proposal.AverageMilli) };
                }
                else
                {
                    proposal = calculator.ForAverageValue(specReplicas, metric.AverageValueMilli ?? 0, metric.Resource, podFacts, metrics, now);
                    current = new JsonObject { ["averageValue"] = QuantityFormat.FromMilli(proposal.AverageMilli) };
                }

                statuses.Add(new JsonObject
                {
                    ["type"] = "Resource",
                    ["resource"] = new JsonObject { ["name"] = metric.Resource, ["current"] = current },
                });
                if (replicas == 0 || proposal.Replicas > replicas)
                {
                    replicas = proposal.Replicas;
                    metricName = metric.Description;
                }
            }
            catch (ReplicaCalculationException ex)
            {
                invalid++;
                statuses.Add(new JsonObject { ["type"] = "" });
                var what = metric.AverageUtilization is not null ? $"failed to get {metric.Resource} utilization: {ex.Message}" : $"failed to get {metric.Resource} usage: {ex.Message}";
                firstInvalid ??= ("FailedGetResourceMetric", "the HPA was unable to compute the replica count: " + what);
                firstError ??= what;
                if (status.Changes("ScalingActive", false, "FailedGetResourceMetric", firstInvalid.Value.Message))
                {
                    await events.RecordAsync(hpa, "Warning", "FailedGetResourceMetric", what, Component);
                }
            }
        }

        var total = spec.Metrics.Count + spec.UnsupportedMetrics.Count;
        if (firstInvalid is { } failure && (invalid >= total || replicas < specReplicas))
        {
            status.Set("ScalingActive", false, failure.Reason, failure.Message);
            return new MetricsOutcome(-1, "", statuses, $"invalid metrics ({invalid} invalid out of {total}), first error is: {firstError}");
        }

        status.Set("ScalingActive", true, "ValidMetricFound", $"the HPA was able to successfully calculate a replica count from {metricName}");
        return new MetricsOutcome(replicas, metricName, statuses, null);
    }

    /// <summary>What the calculation needs of a pod: phase, readiness, start and its summed request of the resource.</summary>
    private static AutoscalingPod Facts(JsonObject pod, string resource)
    {
        long? request = 0;
        string? without = null;
        foreach (var container in (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (ResourceQuantity.ToMilli(container["resources"]?["requests"]?[resource]) is { } milli)
            {
                request += milli;
            }
            else
            {
                without ??= Str(container["name"]);
                request = null;
                break;
            }
        }

        var ready = (pod["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => Str(c["type"]) == "Ready");
        return new AutoscalingPod(
            Name(pod),
            Str(pod["status"]?["phase"]),
            IsDeleting(pod),
            ControllerJson.Time(pod["status"]?["startTime"]),
            ready is null ? null : Str(ready["status"]) == "True",
            ready is null ? null : ControllerJson.Time(ready["lastTransitionTime"]),
            request,
            without);
    }

    /// <summary>A pod's usage of a resource in thousandths, as the Metrics API's quantities read (<c>MilliValue</c>, rounded up).</summary>
    private static long MilliOf(PodUsage usage, string resource) => resource switch
    {
        "cpu" => usage.Containers.Sum(c => (c.CpuNanoCores + 999_999) / 1_000_000),
        "memory" => usage.Containers.Sum(c => c.MemoryBytes * 1000),
        _ => 0,
    };

    private async Task FailedGetScaleAsync(JsonObject hpa, AutoscalerStatus status, string error)
    {
        var message = $"the HPA controller was unable to get the target's current scale: {error}";
        var changed = status.Changes("AbleToScale", false, "FailedGetScale", message);
        status.Set("AbleToScale", false, "FailedGetScale", message);
        await WriteStatusAsync(hpa, status.Build(Int(hpa["status"]?["currentReplicas"]), Int(hpa["status"]?["desiredReplicas"]), [], lastScaleTime: null));
        if (changed)
        {
            await events.RecordAsync(hpa, "Warning", "FailedGetScale", error, Component);
        }
    }

    private async Task WriteStatusAsync(JsonObject hpa, JsonObject status)
    {
        if (Canonical(status) == Canonical(hpa["status"]))
        {
            return;
        }

        var update = hpa.DeepClone().AsObject();
        update["metadata"]!.AsObject().Remove("resourceVersion");
        update["status"] = status;
        try
        {
            await GrainFactory.GetGrain<IObjectGrain>(new ObjectKey(Autoscalers, Str(hpa["metadata"]?["namespace"]) ?? "", Name(hpa)).GrainKey)
                .Update(update.ToJsonString(), new WriteOptions { Subresource = "status" });
        }
        catch (ApiException ex) when (ex.Code == 404)
        {
            // Deleted meanwhile: nothing to report on.
        }
    }

    private static string GroupOf(string apiVersion) => apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";

    [LoggerMessage(Level = LogLevel.Information, Message = "HPA {Namespace}/{Name} rescaled {Reference} from {From} to {To}: {Reason}")]
    private partial void LogRescaled(string @namespace, string name, string reference, int from, int to, string reason);

    private sealed record MetricsOutcome(int Replicas, string MetricName, IReadOnlyList<JsonObject> Statuses, string? Error);

    /// <summary>The HPA's status being rebuilt in one pass: its conditions keep their transition times unless their status flips.</summary>
    private sealed class AutoscalerStatus(JsonObject hpa, string now)
    {
        private readonly JsonArray conditions = (hpa["status"]?["conditions"] as JsonArray)?.DeepClone().AsArray() ?? [];

        /// <summary>Whether any condition differs from what the HPA's status held at the start of the pass.</summary>
        public bool ConditionsChanged => Canonical(conditions) != Canonical(hpa["status"]?["conditions"] ?? new JsonArray());

        /// <summary>Whether setting the condition this way would change its status, reason or message.</summary>
        public bool Changes(string type, bool value, string reason, string message) =>
            Find(type) is not { } c || Str(c["status"]) != (value ? "True" : "False") || Str(c["reason"]) != reason || Str(c["message"]) != message;

        /// <summary>Kubernetes' setCondition.</summary>
        public void Set(string type, bool value, string reason, string message)
        {
            var condition = Find(type);
            if (condition is null)
            {
                condition = new JsonObject { ["type"] = type };
                conditions.Add(condition);
            }

            var text = value ? "True" : "False";
            if (Str(condition["status"]) != text)
            {
                condition["lastTransitionTime"] = now;
            }

            condition["status"] = text;
            condition["reason"] = reason;
            condition["message"] = message;
        }

        public JsonObject Build(int currentReplicas, int desiredReplicas, IReadOnlyList<JsonObject> metrics, string? lastScaleTime)
        {
            var status = new JsonObject
            {
                ["observedGeneration"] = Generation(hpa),
                ["currentReplicas"] = currentReplicas,
                ["desiredReplicas"] = desiredReplicas,
            };
            if ((lastScaleTime ?? Str(hpa["status"]?["lastScaleTime"])) is { } scaled)
            {
                status["lastScaleTime"] = scaled;
            }

            if (metrics.Count > 0)
            {
                status["currentMetrics"] = new JsonArray(metrics.Select(m => (JsonNode?)m.DeepClone()).ToArray());
            }

            if (conditions.Count > 0)
            {
                status["conditions"] = conditions.DeepClone();
            }

            return status;
        }

        private JsonObject? Find(string type) => conditions.OfType<JsonObject>().FirstOrDefault(c => Str(c["type"]) == type);
    }
}
