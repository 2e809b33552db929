using System.Globalization;
using System.Text.Json.Nodes;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// A Job's <c>spec.podFailurePolicy</c> against one failed pod (pkg/controller/job/pod_failure_policy.go): the
/// first rule whose exit codes or pod conditions match decides. <c>FailJob</c> fails the job with the message
/// Kubernetes writes, <c>Ignore</c> keeps the failure out of the counters, <c>FailIndex</c> fails the pod's index,
/// <c>Count</c> (or no match) counts it as usual.
/// </summary>
internal static class PodFailurePolicy
{
    public const string FailJob = "FailJob";
    public const string FailIndex = "FailIndex";
    public const string Ignore = "Ignore";
    public const string Count = "Count";

    /// <summary>The outcome for <paramref name="pod"/>: the job failure message (FailJob only), whether the failure counts, and the matched action.</summary>
    public static (string? FailJobMessage, bool CountFailed, string? Action) Match(JsonObject job, JsonObject pod)
    {
        if (job["spec"]?["podFailurePolicy"]?["rules"] is not JsonArray rules)
        {
            return (null, true, null);
        }

        var index = 0;
        foreach (var rule in rules.OfType<JsonObject>())
        {
            var action = Str(rule["action"]);
            string? failJobMessage = null;
            var matched = false;
            if (rule["onExitCodes"] is JsonObject onExitCodes)
            {
                if (MatchExitCodes(pod, onExitCodes) is { } container)
                {
                    matched = true;
                    failJobMessage = string.Create(
                        CultureInfo.InvariantCulture,
                        $"Container {Str(container["name"])} for pod {Namespace(pod)}/{Name(pod)} failed with exit code {ExitCode(container)} matching {action} rule at index {index}");
                }
            }
            else if (rule["onPodConditions"] is JsonArray patterns)
            {
                if (MatchConditions(pod, patterns) is { } condition)
                {
                    matched = true;
                    failJobMessage = string.Create(
                        CultureInfo.InvariantCulture,
                        $"Pod {Namespace(pod)}/{Name(pod)} has condition {Str(condition["type"])} matching {action} rule at index {index}");
                }
            }

            if (matched)
            {
                switch (action)
                {
                    case Ignore:
                        return (null, false, Ignore);
                    case Count:
                        return (null, true, Count);
                    case FailIndex:
                        return (null, true, FailIndex);
                    case FailJob:
                        return (failJobMessage, true, FailJob);
                }
            }

            index++;
        }

        return (null, true, null);
    }

    private static string Namespace(JsonObject pod) => Str(pod["metadata"]?["namespace"]) ?? "";

    private static int ExitCode(JsonObject containerStatus) => Int(containerStatus["state"]?["terminated"]?["exitCode"]);

    /// <summary>The first terminated container (app containers, then init containers) with a non-zero exit code the rule matches.</summary>
    private static JsonObject? MatchExitCodes(JsonObject pod, JsonObject requirement)
    {
        var containerName = Str(requirement["containerName"]);
        var op = Str(requirement["operator"]);
        var values = (requirement["values"] as JsonArray)?.Select(v => Int(v)).ToHashSet() ?? [];
        foreach (var list in new[] { "containerStatuses", "initContainerStatuses" })
        {
            foreach (var status in (pod["status"]?[list] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                if (status["state"]?["terminated"] is not JsonObject || (containerName is not null && Str(status["name"]) != containerName))
                {
                    continue;
                }

                var code = ExitCode(status);
                if (code != 0 && ((op == "In" && values.Contains(code)) || (op == "NotIn" && !values.Contains(code))))
                {
                    return status;
                }
            }
        }

        return null;
    }

    private static JsonObject? MatchConditions(JsonObject pod, JsonArray patterns)
    {
        foreach (var condition in (pod["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>() ?? [])
        {
            foreach (var pattern in patterns.OfType<JsonObject>())
            {
                if (Str(condition["type"]) == Str(pattern["type"]) && Str(condition["status"]) == (Str(pattern["status"]) ?? "True"))
                {
                    return condition;
                }
            }
        }

        return null;
    }
}
