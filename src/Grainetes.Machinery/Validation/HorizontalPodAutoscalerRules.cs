using System.Text.Json.Nodes;
using Grainetes.Machinery.Scheduling;

namespace Grainetes.Machinery.Validation;

/// <summary>The checks of an autoscaling/v2 HorizontalPodAutoscaler, after pkg/apis/autoscaling/validation in Kubernetes.</summary>
internal static class HorizontalPodAutoscalerRules
{
    private const int MaxPeriodSeconds = 1800;
    private const int MaxStabilizationWindowSeconds = 3600;

    private static readonly string[] MetricSourceTypes = ["ContainerResource", "External", "Object", "Pods", "Resource"];
    private static readonly string[] SelectPolicies = ["Disabled", "Max", "Min"];
    private static readonly string[] PolicyTypes = ["Percent", "Pods"];
    private static readonly string[] StandardContainerResources = ["cpu", "memory", "ephemeral-storage"];

    public static void Validate(JsonObject obj, ValidationErrors errors)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            errors.Required("spec");
            return;
        }

        var min = Json.Integer(spec["minReplicas"]);
        if (spec["minReplicas"] is { } minNode && min is not >= 1)
        {
            errors.Invalid("spec.minReplicas", minNode, "must be greater than or equal to 1");
        }

        var max = Json.Integer(spec["maxReplicas"]) ?? 0;
        if (max < 1)
        {
            errors.Invalid("spec.maxReplicas", spec["maxReplicas"] ?? JsonValue.Create(0), "must be greater than 0");
        }

        if (min is { } m && max < m)
        {
            errors.Invalid("spec.maxReplicas", spec["maxReplicas"] ?? JsonValue.Create(0), "must be greater than or equal to `minReplicas`");
        }

        var target = spec["scaleTargetRef"] as JsonObject;
        foreach (var field in new[] { "kind", "name" })
        {
            var value = Json.String(target?[field]);
            if (string.IsNullOrEmpty(value))
            {
                errors.Required("spec.scaleTargetRef." + field);
                continue;
            }

            foreach (var message in NameValidation.IsValidPathSegmentName(value))
            {
                errors.Invalid("spec.scaleTargetRef." + field, value, message);
            }
        }

        foreach (var (i, metric) in Json.Items(spec["metrics"]))
        {
            Metric(metric, $"spec.metrics[{i}]", errors);
        }

        if (spec["behavior"] is JsonObject behavior)
        {
            Rules(behavior["scaleUp"], "spec.behavior.scaleUp", errors);
            Rules(behavior["scaleDown"], "spec.behavior.scaleDown", errors);
        }
    }

    private static void Metric(JsonObject metric, string path, ValidationErrors errors)
    {
        var type = Json.String(metric["type"]);
        if (string.IsNullOrEmpty(type))
        {
            errors.Required(path + ".type", "must specify a metric source type");
        }

        if (!MetricSourceTypes.Contains(type))
        {
            errors.NotSupported(path + ".type", metric["type"] ?? JsonValue.Create(""), MetricSourceTypes);
        }

        var present = new[] { "object", "pods", "resource", "containerResource", "external" }.Where(f => metric[f] is JsonObject).ToList();
        var expected = type switch
        {
            "Resource" => "resource",
            "ContainerResource" => "containerResource",
            "Pods" => "pods",
            "Object" => "object",
            "External" => "external",
            _ => null,
        };
        if (expected is not null && !present.Contains(expected))
        {
            errors.Required($"{path}.{expected}", "must populate information for the given metric source");
        }

        if (present.Count == 1 && present[0] is "resource" or "containerResource")
        {
            ResourceSource(metric[present[0]]!.AsObject(), $"{path}.{present[0]}", present[0] == "containerResource", errors);
        }

        if (present.Count > 1)
        {
            foreach (var other in present.Where(p => p != expected))
            {
                errors.Forbidden($"{path}.{other}", "must populate the given metric source only");
            }
        }
    }

    private static void ResourceSource(JsonObject source, string path, bool container, ValidationErrors errors)
    {
        var name = Json.String(source["name"]);
        if (string.IsNullOrEmpty(name))
        {
            errors.Required(path + ".name", "must specify a resource name");
        }
        else if (!StandardContainerResources.Contains(name) && !name.StartsWith("hugepages-", StringComparison.Ordinal) && !name.Contains('/', StringComparison.Ordinal))
        {
            errors.Invalid(path + ".name", name, "must be a standard resource for containers");
        }

        if (container && string.IsNullOrEmpty(Json.String(source["container"])))
        {
            errors.Required(path + ".container", "must specify a container");
        }

        var target = source["target"] as JsonObject ?? new JsonObject();
        var targetType = Json.String(target["type"]);
        if (string.IsNullOrEmpty(targetType))
        {
            errors.Required(path + ".target.type", "must specify a metric target type");
        }

        if (targetType is not ("Utilization" or "Value" or "AverageValue"))
        {
            errors.Invalid(path + ".target.type", target["type"] ?? JsonValue.Create(""), "must be either Utilization, Value, or AverageValue");
        }

        foreach (var field in new[] { "value", "averageValue" })
        {
            if (target[field] is { } quantity && !(ResourceQuantity.ToMilli(quantity) is > 0))
            {
                errors.Invalid($"{path}.target.{field}", quantity, "must be positive");
            }
        }

        if (target["averageUtilization"] is { } utilization && Json.Integer(utilization) is not >= 1)
        {
            errors.Invalid(path + ".target.averageUtilization", utilization, "must be greater than 0");
        }

        if (target["averageUtilization"] is null && target["averageValue"] is null)
        {
            errors.Required(path + ".target.averageUtilization", "must set either a target raw value or a target utilization");
        }

        if (target["averageUtilization"] is not null && target["averageValue"] is not null)
        {
            errors.Forbidden(path + ".target.averageValue", "may not set both a target raw value and a target utilization");
        }
    }

    private static void Rules(JsonNode? node, string path, ValidationErrors errors)
    {
        if (node is not JsonObject rules)
        {
            return;
        }

        if (rules["stabilizationWindowSeconds"] is { } window)
        {
            switch (Json.Integer(window))
            {
                case < 0:
                    errors.Invalid(path + ".stabilizationWindowSeconds", window, "must be greater than or equal to zero");
                    break;
                case > MaxStabilizationWindowSeconds:
                    errors.Invalid(path + ".stabilizationWindowSeconds", window, $"must be less than or equal to {MaxStabilizationWindowSeconds}");
                    break;
            }
        }

        if (rules["selectPolicy"] is { } select && !SelectPolicies.Contains(Json.String(select)))
        {
            errors.NotSupported(path + ".selectPolicy", select, SelectPolicies);
        }

        var policies = Json.Items(rules["policies"]).ToList();
        if (policies.Count == 0)
        {
            errors.Required(path + ".policies", "must specify at least one Policy");
        }

        foreach (var (i, policy) in policies)
        {
            var at = $"{path}.policies[{i}]";
            if (!PolicyTypes.Contains(Json.String(policy["type"])))
            {
                errors.NotSupported(at + ".type", policy["type"] ?? JsonValue.Create(""), PolicyTypes);
            }

            if (Json.Integer(policy["value"]) is not > 0)
            {
                errors.Invalid(at + ".value", policy["value"] ?? JsonValue.Create(0), "must be greater than zero");
            }

            var period = Json.Integer(policy["periodSeconds"]);
            if (period is not > 0)
            {
                errors.Invalid(at + ".periodSeconds", policy["periodSeconds"] ?? JsonValue.Create(0), "must be greater than zero");
            }
            else if (period > MaxPeriodSeconds)
            {
                errors.Invalid(at + ".periodSeconds", policy["periodSeconds"], $"must be less than or equal to {MaxPeriodSeconds}");
            }
        }
    }
}
