using System.Text.Json.Nodes;
using Grainetes.Machinery.Defaulting;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Validation;

namespace Grainetes.Machinery.Tests.Validation;

/// <summary>Defaults and validation of a Job's pod failure policy, per-index back-off limit and ControllerRevisions.</summary>
public sealed class JobFailureRulesTests
{
    private readonly ObjectValidator validator = new();

    private static ResourceType Type(string key) => ResourceRegistry.BuiltIn.Get(key);

    private static JsonObject Job(string spec) =>
        JsonNode.Parse("""{"metadata":{"name":"j","uid":"u-1"},"spec":{""" + spec + "}}")!.AsObject();

    private List<(string Field, string Message)> Causes(JsonObject job)
    {
        ObjectDefaults.Apply(Type("jobs.batch"), job);
        return validator.Collect(Type("jobs.batch"), job).Select(c => (c.Field, c.Message)).ToList();
    }

    [Fact]
    public void A_pod_failure_policy_defaults_replacement_to_failed_pods_and_condition_status_to_true()
    {
        var job = Job("""
            "podFailurePolicy":{"rules":[{"action":"Ignore","onPodConditions":[{"type":"DisruptionTarget"}]},
                                         {"action":"FailJob","onExitCodes":{"containerName":"c","operator":"In","values":[1,42]}}]},
            "template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}
            """);
        Assert.Empty(Causes(job));
        Assert.Equal("Failed", (string?)job["spec"]!["podReplacementPolicy"]);
        Assert.Equal("True", (string?)job["spec"]!["podFailurePolicy"]!["rules"]![0]!["onPodConditions"]![0]!["status"]);
        Assert.Equal(6, (int)job["spec"]!["backoffLimit"]!);
    }

    [Fact]
    public void A_per_index_limit_turns_the_job_wide_limit_off_and_needs_indexed_completion()
    {
        var indexed = Job("""
            "completionMode":"Indexed","completions":3,"backoffLimitPerIndex":1,"maxFailedIndexes":2,
            "template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}
            """);
        Assert.Empty(Causes(indexed));
        Assert.Equal(int.MaxValue, (int)indexed["spec"]!["backoffLimit"]!);

        var plain = Job("""
            "completions":3,"backoffLimitPerIndex":1,"maxFailedIndexes":4,
            "template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}
            """);
        var causes = Causes(plain);
        Assert.Contains(("spec.backoffLimitPerIndex", "Invalid value: 1: requires indexed completion mode"), causes);
        Assert.Contains(("spec.maxFailedIndexes", "Invalid value: 4: must be less than or equal to completions"), causes);

        var orphanMax = Job("""
            "completionMode":"Indexed","completions":3,"maxFailedIndexes":1,
            "template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}
            """);
        Assert.Contains(("spec.backoffLimitPerIndex", "Required value: when maxFailedIndexes is specified"), Causes(orphanMax));
    }

    [Fact]
    public void Bad_rules_are_refused_with_kubernetes_messages()
    {
        var job = Job("""
            "podFailurePolicy":{"rules":[
              {"action":"Retry","onExitCodes":{"containerName":"nope","operator":"Is","values":[3,1,1]}},
              {"action":"Ignore"},
              {"action":"Count","onExitCodes":{"operator":"In","values":[0]},"onPodConditions":[{"type":"DisruptionTarget","status":"Maybe"}]}]},
            "template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}
            """);
        var causes = Causes(job);
        Assert.Contains(("spec.podFailurePolicy.rules[0].action", "Unsupported value: \"Retry\": supported values: \"Count\", \"FailIndex\", \"FailJob\", \"Ignore\""), causes);
        Assert.Contains(("spec.podFailurePolicy.rules[0].onExitCodes.containerName", "Invalid value: \"nope\": must be one of the container or initContainer names in the pod template"), causes);
        Assert.Contains(("spec.podFailurePolicy.rules[0].onExitCodes.operator", "Unsupported value: \"Is\": supported values: \"In\", \"NotIn\""), causes);
        Assert.Contains(("spec.podFailurePolicy.rules[0].onExitCodes.values[1]", "Invalid value: 1: must be ordered"), causes);
        Assert.Contains(("spec.podFailurePolicy.rules[0].onExitCodes.values[2]", "Duplicate value: 1"), causes);
        Assert.Contains(("spec.podFailurePolicy.rules[1]", "Invalid value: \"\": specifying one of OnExitCodes and OnPodConditions is required"), causes);
        Assert.Contains(("spec.podFailurePolicy.rules[2]", "Invalid value: \"\": specifying both OnExitCodes and OnPodConditions is not supported"), causes);
        Assert.Contains(("spec.podFailurePolicy.rules[2].onExitCodes.values[0]", "Invalid value: 0: must not be 0 for the In operator"), causes);
        Assert.Contains(("spec.podFailurePolicy.rules[2].onPodConditions[0].status", "Unsupported value: \"Maybe\": supported values: \"False\", \"True\", \"Unknown\""), causes);
    }

    [Fact]
    public void A_controller_revision_needs_data_and_a_non_negative_revision()
    {
        var revision = JsonNode.Parse("""{"metadata":{"name":"agent-abc"},"revision":-1}""")!.AsObject();
        var causes = validator.Collect(Type("controllerrevisions.apps"), revision).Select(c => (c.Field, c.Message)).ToList();
        Assert.Contains(("data", "Required value: data is mandatory"), causes);
        Assert.Contains(("revision", "Invalid value: -1: must be greater than or equal to 0"), causes);
    }
}
