using System.Text.Json.Nodes;
using Grainetes.Machinery.Autoscaling;

namespace Grainetes.Machinery.Defaulting;

/// <summary>
/// Kubernetes' SetDefaults_HorizontalPodAutoscaler (autoscaling/v2): one replica at least, a cpu target of 80% when
/// no metric is named, and a given behavior completed rule by rule (the scale-down window stays unset: the
/// controller's <c>--horizontal-pod-autoscaler-downscale-stabilization</c> applies).
/// </summary>
internal static class HorizontalPodAutoscalerDefaults
{
    public static void Apply(JsonObject hpa)
    {
        if (hpa["spec"] is not JsonObject spec)
        {
            return;
        }

        spec["minReplicas"] ??= 1;
        if (spec["metrics"] is not JsonArray { Count: > 0 })
        {
            spec["metrics"] = new JsonArray(new JsonObject
            {
                ["type"] = "Resource",
                ["resource"] = new JsonObject
                {
                    ["name"] = "cpu",
                    ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = AutoscalerSpec.DefaultCpuUtilization },
                },
            });
        }

        if (spec["behavior"] is JsonObject behavior)
        {
            Rules(behavior, "scaleUp", ScalingRules.DefaultScaleUp);
            Rules(behavior, "scaleDown", ScalingRules.DefaultScaleDown);
        }
    }

    private static void Rules(JsonObject behavior, string direction, ScalingRules defaults)
    {
        if (behavior[direction] is not JsonObject rules)
        {
            rules = new JsonObject();
            behavior[direction] = rules;
        }

        if (rules["stabilizationWindowSeconds"] is null && defaults.StabilizationWindowSeconds is { } window)
        {
            rules["stabilizationWindowSeconds"] = window;
        }

        rules["selectPolicy"] ??= defaults.SelectPolicy;
        if (rules["policies"] is not JsonArray { Count: > 0 })
        {
            rules["policies"] = new JsonArray(defaults.Policies.Select(p => (JsonNode?)new JsonObject
            {
                ["type"] = p.Type,
                ["value"] = p.Value,
                ["periodSeconds"] = p.PeriodSeconds,
            }).ToArray());
        }
    }
}
