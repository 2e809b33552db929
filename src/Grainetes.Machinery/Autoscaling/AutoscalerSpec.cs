using System.Text.Json.Nodes;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Scheduling;

namespace Grainetes.Machinery.Autoscaling;

/// <summary>The parts of an autoscaling/v2 HPA spec the controller acts on, defaults filled in as the API server fills them.</summary>
/// <param name="UnsupportedMetrics">Metric types this cluster cannot serve (Pods, Object, External need a custom metrics API).</param>
public sealed record AutoscalerSpec(
    string TargetApiVersion,
    string TargetKind,
    string TargetName,
    int MinReplicas,
    int MaxReplicas,
    IReadOnlyList<ResourceMetricTarget> Metrics,
    IReadOnlyList<string> UnsupportedMetrics,
    ScalingBehavior? Behavior)
{
    /// <summary>Kubernetes' default target when an HPA names no metric: 80% of the cpu request.</summary>
    public const int DefaultCpuUtilization = 80;

    public static AutoscalerSpec Parse(JsonObject hpa)
    {
        var spec = hpa["spec"] as JsonObject ?? new JsonObject();
        var target = spec["scaleTargetRef"] as JsonObject ?? new JsonObject();
        var metrics = new List<ResourceMetricTarget>();
        var unsupported = new List<string>();
        foreach (var metric in (spec["metrics"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var type = (string?)metric["type"] ?? "";
            if (type != "Resource" || metric["resource"] is not JsonObject resource)
            {
                unsupported.Add(type);
                continue;
            }

            var goal = resource["target"] as JsonObject ?? new JsonObject();
            metrics.Add(new ResourceMetricTarget(
                (string?)resource["name"] ?? "",
                JsonNumbers.ToInt32(goal["averageUtilization"]),
                ResourceQuantity.ToMilli(goal["averageValue"])));
        }

        if (metrics.Count == 0 && unsupported.Count == 0)
        {
            metrics.Add(new ResourceMetricTarget("cpu", DefaultCpuUtilization, null));
        }

        return new AutoscalerSpec(
            (string?)target["apiVersion"] ?? "",
            (string?)target["kind"] ?? "",
            (string?)target["name"] ?? "",
            JsonNumbers.ToInt32(spec["minReplicas"]) ?? 1,
            JsonNumbers.ToInt32(spec["maxReplicas"]) ?? 0,
            metrics,
            unsupported,
            spec["behavior"] is JsonObject behavior ? ParseBehavior(behavior) : null);
    }

    private static ScalingBehavior ParseBehavior(JsonObject behavior) => new(
        ParseRules(behavior["scaleUp"] as JsonObject, ScalingRules.DefaultScaleUp),
        ParseRules(behavior["scaleDown"] as JsonObject, ScalingRules.DefaultScaleDown));

    private static ScalingRules ParseRules(JsonObject? rules, ScalingRules defaults)
    {
        if (rules is null)
        {
            return defaults;
        }

        var policies = (rules["policies"] as JsonArray)?.OfType<JsonObject>()
            .Select(p => new ScalingPolicy((string?)p["type"] ?? "", JsonNumbers.ToInt32(p["value"]) ?? 0, JsonNumbers.ToInt32(p["periodSeconds"]) ?? 0))
            .ToList();
        return new ScalingRules(
            JsonNumbers.ToInt32(rules["stabilizationWindowSeconds"]) ?? defaults.StabilizationWindowSeconds,
            (string?)rules["selectPolicy"] ?? defaults.SelectPolicy,
            policies is { Count: > 0 } ? policies : defaults.Policies);
    }
}
