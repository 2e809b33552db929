using System.Text.Json.Nodes;
using Grainetes.Machinery.Admission;

namespace Grainetes.Machinery.Validation;

/// <summary>Checks of ResourceQuotas and LimitRanges: every amount a quantity and not negative, item types known.</summary>
internal static class PolicyRules
{
    private static readonly string[] LimitTypes = ["Container", "PersistentVolumeClaim", "Pod"];

    public static void ResourceQuota(JsonObject obj, ValidationErrors errors)
    {
        Amounts((obj["spec"] as JsonObject)?["hard"], "spec.hard", errors);
    }

    public static void LimitRange(JsonObject obj, ValidationErrors errors)
    {
        if ((obj["spec"] as JsonObject)?["limits"] is not JsonArray items)
        {
            errors.Required("spec.limits");
            return;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var path = $"spec.limits[{i}]";
            var item = items[i] as JsonObject;
            var type = item?["type"];
            if (Json.String(type) is not { } name || !LimitTypes.Contains(name))
            {
                errors.NotSupported(path + ".type", type, LimitTypes);
            }

            foreach (var field in new[] { "max", "min", "default", "defaultRequest", "maxLimitRequestRatio" })
            {
                Amounts(item?[field], $"{path}.{field}", errors);
            }

            // Kubernetes' own rule: a minimum above the maximum can admit nothing.
            var min = ResourceAmounts.Parse(item?["min"]);
            foreach (var (resource, max) in ResourceAmounts.Parse(item?["max"]))
            {
                if (min.TryGetValue(resource, out var low) && low > max)
                {
                    errors.Invalid($"{path}.min[{resource}]", item!["min"]![resource], $"min value {QuantityText.Format(resource, low)} is greater than max value {QuantityText.Format(resource, max)}");
                }
            }
        }
    }

    private static void Amounts(JsonNode? list, string path, ValidationErrors errors)
    {
        if (list is not JsonObject obj)
        {
            return;
        }

        foreach (var (name, value) in obj)
        {
            if (!QuantityText.TryRead(value, out var amount))
            {
                errors.Invalid($"{path}[{name}]", value, "must be a quantity such as 500m, 2 or 1Gi");
            }
            else if (amount < 0m)
            {
                errors.Invalid($"{path}[{name}]", value, "must be greater than or equal to 0");
            }
        }
    }
}
