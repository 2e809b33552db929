using System.Globalization;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Validation;

/// <summary>
/// The checks of a Job's failure handling after Kubernetes' pkg/apis/batch/validation: <c>podFailurePolicy</c>
/// (rules, actions, exit codes, pod conditions), <c>backoffLimitPerIndex</c> and <c>maxFailedIndexes</c>.
/// </summary>
internal static class JobFailureRules
{
    private const int MaxRules = 20;
    private const int MaxExitCodes = 255;
    private static readonly string[] Actions = ["Count", "FailIndex", "FailJob", "Ignore"];
    private static readonly string[] Operators = ["In", "NotIn"];
    private static readonly string[] ConditionStatuses = ["False", "True", "Unknown"];

    public static void Validate(JsonObject spec, string path, ValidationErrors errors)
    {
        var perIndex = spec["backoffLimitPerIndex"];
        if (perIndex is not null)
        {
            if (Json.Integer(perIndex) is not >= 0)
            {
                errors.Invalid($"{path}.backoffLimitPerIndex", perIndex, "must be greater than or equal to 0");
            }
            else if (Json.String(spec["completionMode"]) != "Indexed")
            {
                errors.Invalid($"{path}.backoffLimitPerIndex", perIndex, "requires indexed completion mode");
            }
        }

        if (spec["maxFailedIndexes"] is { } maxFailed)
        {
            if (perIndex is null)
            {
                errors.Required($"{path}.backoffLimitPerIndex", "when maxFailedIndexes is specified");
            }

            if (Json.Integer(maxFailed) is not >= 0)
            {
                errors.Invalid($"{path}.maxFailedIndexes", maxFailed, "must be greater than or equal to 0");
            }
            else if (Json.Integer(spec["completions"]) is { } completions && Json.Integer(maxFailed) > completions)
            {
                errors.Invalid($"{path}.maxFailedIndexes", maxFailed, "must be less than or equal to completions");
            }
        }

        if (spec["podFailurePolicy"] is not JsonObject policy)
        {
            return;
        }

        var restartPolicy = spec["template"]?["spec"]?["restartPolicy"];
        if (Json.String(restartPolicy) != "Never")
        {
            errors.Invalid($"{path}.template.spec.restartPolicy", restartPolicy, "only \"Never\" is supported when podFailurePolicy is specified");
        }

        var rules = (policy["rules"] as JsonArray)?.ToList() ?? [];
        if (rules.Count > MaxRules)
        {
            errors.Add("FieldValueTooMany", $"{path}.podFailurePolicy.rules", string.Create(CultureInfo.InvariantCulture, $"Too many: {rules.Count}: must have at most {MaxRules} items"));
        }

        var containerNames = new[] { "containers", "initContainers" }
            .SelectMany(list => (spec["template"]?["spec"]?[list] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Select(c => Json.String(c["name"])).OfType<string>().ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < rules.Count; i++)
        {
            Rule(rules[i] as JsonObject ?? new JsonObject(), string.Create(CultureInfo.InvariantCulture, $"{path}.podFailurePolicy.rules[{i}]"), perIndex is not null, containerNames, errors);
        }
    }

    private static void Rule(JsonObject rule, string path, bool perIndex, HashSet<string> containerNames, ValidationErrors errors)
    {
        var action = rule["action"];
        if (Json.String(action) is null or "")
        {
            errors.Required($"{path}.action", "valid values: [" + string.Join(" ", Actions.Select(a => $"\"{a}\"")) + "]");
        }
        else if (Json.String(action) == "FailIndex")
        {
            if (!perIndex)
            {
                errors.Invalid($"{path}.action", action, "requires the backoffLimitPerIndex to be set");
            }
        }
        else if (!Actions.Contains(Json.String(action)))
        {
            errors.NotSupported($"{path}.action", action, Actions);
        }

        var onExitCodes = rule["onExitCodes"] as JsonObject;
        var onPodConditions = rule["onPodConditions"] as JsonArray;
        if (onExitCodes is not null)
        {
            ExitCodes(onExitCodes, $"{path}.onExitCodes", containerNames, errors);
        }

        if (onPodConditions is { Count: > 0 })
        {
            for (var i = 0; i < onPodConditions.Count; i++)
            {
                var pattern = onPodConditions[i] as JsonObject ?? new JsonObject();
                var at = string.Create(CultureInfo.InvariantCulture, $"{path}.onPodConditions[{i}]");
                if (Json.String(pattern["type"]) is null or "")
                {
                    errors.Required($"{at}.type");
                }

                if (pattern["status"] is { } status && !ConditionStatuses.Contains(Json.String(status)))
                {
                    errors.NotSupported($"{at}.status", status, ConditionStatuses);
                }
            }
        }

        if (onExitCodes is not null && onPodConditions is { Count: > 0 })
        {
            errors.Add("FieldValueInvalid", path, "Invalid value: \"\": specifying both OnExitCodes and OnPodConditions is not supported");
        }
        else if (onExitCodes is null && onPodConditions is not { Count: > 0 })
        {
            errors.Add("FieldValueInvalid", path, "Invalid value: \"\": specifying one of OnExitCodes and OnPodConditions is required");
        }
    }

    private static void ExitCodes(JsonObject requirement, string path, HashSet<string> containerNames, ValidationErrors errors)
    {
        if (requirement["containerName"] is { } containerName && !containerNames.Contains(Json.String(containerName) ?? ""))
        {
            errors.Invalid($"{path}.containerName", containerName, "must be one of the container or initContainer names in the pod template");
        }

        var op = requirement["operator"];
        if (Json.String(op) is null or "")
        {
            errors.Required($"{path}.operator", "valid values: [\"In\" \"NotIn\"]");
        }
        else if (!Operators.Contains(Json.String(op)))
        {
            errors.NotSupported($"{path}.operator", op, Operators);
        }

        var values = (requirement["values"] as JsonArray)?.ToList() ?? [];
        if (values.Count == 0)
        {
            errors.Required($"{path}.values", "at least one value is required");
        }
        else if (values.Count > MaxExitCodes)
        {
            errors.Add("FieldValueTooMany", $"{path}.values", string.Create(CultureInfo.InvariantCulture, $"Too many: {values.Count}: must have at most {MaxExitCodes} items"));
        }

        var seen = new HashSet<long>();
        long? previous = null;
        for (var i = 0; i < values.Count; i++)
        {
            var at = string.Create(CultureInfo.InvariantCulture, $"{path}.values[{i}]");
            if (Json.Integer(values[i]) is not { } value)
            {
                errors.Invalid(at, values[i], "must be an integer");
                continue;
            }

            if (Json.String(op) == "In" && value == 0)
            {
                errors.Invalid(at, values[i], "must not be 0 for the In operator");
            }

            if (!seen.Add(value))
            {
                errors.Duplicate(at, values[i]);
            }

            if (previous is { } p && p > value)
            {
                errors.Invalid(at, values[i], "must be ordered");
            }

            previous = value;
        }
    }
}
