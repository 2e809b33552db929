using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Autoscaling;

/// <summary>
/// Converts HorizontalPodAutoscalers between autoscaling/v1 (what <c>kubectl autoscale</c> v1.32 posts) and
/// autoscaling/v2 (the stored form), as Kubernetes' conversion does: v1 has only a CPU utilization target, so
/// whatever else a v2 object holds (other metrics, behavior, conditions) travels in the
/// <c>autoscaling.alpha.kubernetes.io/*</c> annotations of the v1 form and is restored from them on the way back.
/// </summary>
public static class HorizontalPodAutoscalerConversion
{
    public const string MetricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics";
    public const string CurrentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics";
    public const string ConditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions";
    public const string BehaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior";

    // Annotation values are JSON text inside JSON: written plainly, as Go writes them, not with \u0022 escapes.
    private static readonly JsonSerializerOptions AnnotationJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] CarriedAnnotations = [MetricsAnnotation, CurrentMetricsAnnotation, ConditionsAnnotation, BehaviorAnnotation];

    /// <summary>The autoscaling/v2 form of an autoscaling/v1 object (a new object; the input is not changed).</summary>
    public static JsonObject ToV2(JsonObject v1)
    {
        var result = CopyEnvelope(v1, "autoscaling/v2");
        var annotations = result["metadata"]?["annotations"] as JsonObject;
        var carried = TakeCarried(annotations);
        if (annotations is { Count: 0 }) result["metadata"]!.AsObject().Remove("annotations");

        if (v1["spec"] is JsonObject spec)
        {
            var metrics = new JsonArray();
            if (spec["targetCPUUtilizationPercentage"] is JsonNode target)
            {
                metrics.Add(new JsonObject
                {
                    ["type"] = "Resource",
                    ["resource"] = new JsonObject
                    {
                        ["name"] = "cpu",
                        ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = target.DeepClone() },
                    },
                });
            }

            AppendAll(metrics, carried.GetValueOrDefault(MetricsAnnotation));
            var v2Spec = new JsonObject();
            CopyFields(spec, v2Spec, "scaleTargetRef", "minReplicas", "maxReplicas");
            if (metrics.Count > 0) v2Spec["metrics"] = metrics;
            if (carried.GetValueOrDefault(BehaviorAnnotation) is JsonObject behavior) v2Spec["behavior"] = behavior;
            result["spec"] = v2Spec;
        }

        if (v1["status"] is JsonObject status)
        {
            var v2Status = new JsonObject();
            CopyFields(status, v2Status, "observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas");
            var current = new JsonArray();
            if (status["currentCPUUtilizationPercentage"] is JsonNode utilization)
            {
                current.Add(new JsonObject
                {
                    ["type"] = "Resource",
                    ["resource"] = new JsonObject
                    {
                        ["name"] = "cpu",
                        ["current"] = new JsonObject { ["averageUtilization"] = utilization.DeepClone() },
                    },
                });
            }

            AppendAll(current, carried.GetValueOrDefault(CurrentMetricsAnnotation));
            if (current.Count > 0) v2Status["currentMetrics"] = current;
            if (carried.GetValueOrDefault(ConditionsAnnotation) is JsonArray conditions) v2Status["conditions"] = conditions;
            result["status"] = v2Status;
        }

        return result;
    }

    /// <summary>The autoscaling/v1 form of a stored autoscaling/v2 object (a new object; the input is not changed).</summary>
    public static JsonObject ToV1(JsonObject v2)
    {
        var result = CopyEnvelope(v2, "autoscaling/v1");
        var carried = new Dictionary<string, JsonNode>(StringComparer.Ordinal);

        if (v2["spec"] is JsonObject spec)
        {
            var v1Spec = new JsonObject();
            CopyFields(spec, v1Spec, "scaleTargetRef", "minReplicas", "maxReplicas");
            var others = new JsonArray();
            foreach (var metric in (spec["metrics"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (!v1Spec.ContainsKey("targetCPUUtilizationPercentage") && IsCpu(metric)
                    && metric["resource"]?["target"]?["averageUtilization"] is JsonNode target)
                {
                    v1Spec["targetCPUUtilizationPercentage"] = target.DeepClone();
                }
                else
                {
                    others.Add(metric.DeepClone());
                }
            }

            if (others.Count > 0) carried[MetricsAnnotation] = others;
            if (spec["behavior"] is JsonObject behavior) carried[BehaviorAnnotation] = behavior.DeepClone();
            result["spec"] = v1Spec;
        }

        if (v2["status"] is JsonObject status)
        {
            var v1Status = new JsonObject();
            CopyFields(status, v1Status, "observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas");
            var others = new JsonArray();
            foreach (var metric in (status["currentMetrics"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (!v1Status.ContainsKey("currentCPUUtilizationPercentage") && IsCpu(metric)
                    && metric["resource"]?["current"]?["averageUtilization"] is JsonNode current)
                {
                    v1Status["currentCPUUtilizationPercentage"] = current.DeepClone();
                }
                else
                {
                    others.Add(metric.DeepClone());
                }
            }

            if (others.Count > 0) carried[CurrentMetricsAnnotation] = others;
            if (status["conditions"] is JsonArray { Count: > 0 } conditions) carried[ConditionsAnnotation] = conditions.DeepClone();
            v1Status["currentReplicas"] ??= 0;
            v1Status["desiredReplicas"] ??= 0;
            result["status"] = v1Status;
        }

        if (carried.Count > 0)
        {
            var meta = result["metadata"] as JsonObject ?? new JsonObject();
            result["metadata"] = meta;
            var annotations = meta["annotations"] as JsonObject ?? new JsonObject();
            meta["annotations"] = annotations;
            foreach (var (key, value) in carried) annotations[key] = value.ToJsonString(AnnotationJson);
        }

        return result;
    }

    private static bool IsCpu(JsonObject metric) =>
        (string?)metric["type"] == "Resource" && (string?)metric["resource"]?["name"] == "cpu";

    /// <summary>Everything but spec and status, with the target apiVersion.</summary>
    private static JsonObject CopyEnvelope(JsonObject source, string apiVersion)
    {
        var result = new JsonObject();
        foreach (var (key, value) in source)
        {
            if (key is not ("spec" or "status")) result[key] = value?.DeepClone();
        }

        result["apiVersion"] = apiVersion;
        return result;
    }

    /// <summary>Removes the annotations that carry v2-only data and returns them parsed; unparseable ones are dropped.</summary>
    private static Dictionary<string, JsonNode> TakeCarried(JsonObject? annotations)
    {
        var carried = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        if (annotations is null) return carried;
        foreach (var key in CarriedAnnotations)
        {
            if (annotations[key] is not JsonValue value || value.GetValueKind() != JsonValueKind.String) continue;
            annotations.Remove(key);
            try
            {
                if (JsonNode.Parse(value.GetValue<string>()) is { } parsed) carried[key] = parsed;
            }
            catch (JsonException)
            {
                // Kubernetes ignores an annotation it cannot decode.
            }
        }

        return carried;
    }

    private static void AppendAll(JsonArray target, JsonNode? items)
    {
        if (items is not JsonArray array) return;
        foreach (var item in array) target.Add(item?.DeepClone());
    }

    private static void CopyFields(JsonObject from, JsonObject to, params string[] fields)
    {
        foreach (var field in fields)
        {
            if (from[field] is JsonNode value) to[field] = value.DeepClone();
        }
    }
}
