using System.Text.Json.Nodes;
using Grainetes.Machinery.Defaulting;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Validation;

namespace Grainetes.Machinery.Tests.Validation;

/// <summary>Defaults and validation of daemon sets, jobs and cron jobs.</summary>
public sealed class WorkloadKindRulesTests
{
    private readonly ObjectValidator validator = new();

    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    private static ResourceType Type(string key) => ResourceRegistry.BuiltIn.Get(key);

    private IEnumerable<string> Fields(string key, JsonObject obj) => validator.Collect(Type(key), obj).Select(c => c.Field);

    [Fact]
    public void A_job_gets_kubernetes_defaults_and_a_selector_on_its_uid()
    {
        var job = Parse("""{"metadata":{"name":"pi","uid":"u-1"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"pi","image":"perl"}]}}}}""");
        ObjectDefaults.Apply(Type("jobs.batch"), job);

        var spec = job["spec"]!;
        Assert.Equal(1, (int)spec["completions"]!);
        Assert.Equal(1, (int)spec["parallelism"]!);
        Assert.Equal(6, (int)spec["backoffLimit"]!);
        Assert.Equal("NonIndexed", (string?)spec["completionMode"]);
        Assert.Equal("u-1", (string?)spec["selector"]!["matchLabels"]!["batch.kubernetes.io/controller-uid"]);
        var labels = spec["template"]!["metadata"]!["labels"]!;
        Assert.Equal("u-1", (string?)labels["controller-uid"]);
        Assert.Equal("pi", (string?)labels["job-name"]);
        Assert.Equal("pi", (string?)labels["batch.kubernetes.io/job-name"]);
        Assert.Equal("pi", (string?)job["metadata"]!["labels"]!["job-name"]);
        Assert.Empty(Fields("jobs.batch", job));
    }

    [Fact]
    public void A_manual_selector_is_left_alone()
    {
        var job = Parse("""{"metadata":{"name":"m","uid":"u-2"},"spec":{"manualSelector":true,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}}}""");
        ObjectDefaults.Apply(Type("jobs.batch"), job);
        Assert.Null(job["spec"]!["template"]!["metadata"]!["labels"]!["controller-uid"]);
        Assert.Equal("b", (string?)job["spec"]!["selector"]!["matchLabels"]!["a"]);
    }

    [Fact]
    public void A_job_template_must_not_restart_always()
    {
        var job = Parse("""{"metadata":{"name":"pi","uid":"u-1"},"spec":{"template":{"spec":{"containers":[{"name":"pi","image":"perl"}]}}}}""");
        ObjectDefaults.Apply(Type("jobs.batch"), job);
        var cause = Assert.Single(validator.Collect(Type("jobs.batch"), job));
        Assert.Equal("spec.template.spec.restartPolicy", cause.Field);
    }

    [Fact]
    public void A_cron_job_gets_defaults_and_needs_a_sound_schedule_and_policy()
    {
        var cj = Parse("""{"metadata":{"name":"tick"},"spec":{"schedule":"@hourly","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"t","image":"busybox"}]}}}}}}""");
        ObjectDefaults.Apply(Type("cronjobs.batch"), cj);
        Assert.Equal("Allow", (string?)cj["spec"]!["concurrencyPolicy"]);
        Assert.False((bool)cj["spec"]!["suspend"]!);
        Assert.Equal(3, (int)cj["spec"]!["successfulJobsHistoryLimit"]!);
        Assert.Equal(1, (int)cj["spec"]!["failedJobsHistoryLimit"]!);
        Assert.Empty(Fields("cronjobs.batch", cj));

        cj["spec"]!["schedule"] = "* * *";
        cj["spec"]!["concurrencyPolicy"] = "Sometimes";
        cj["spec"]!["timeZone"] = "Nowhere/Special";
        Assert.Equal(["spec.schedule", "spec.timeZone", "spec.concurrencyPolicy"], Fields("cronjobs.batch", cj));
    }

    [Fact]
    public void A_daemon_set_gets_rolling_update_defaults_and_needs_a_matching_selector()
    {
        var ds = Parse("""{"metadata":{"name":"agent"},"spec":{"selector":{"matchLabels":{"app":"agent"}},"template":{"metadata":{"labels":{"app":"other"}},"spec":{"containers":[{"name":"a","image":"busybox"}]}}}}""");
        ObjectDefaults.Apply(Type("daemonsets.apps"), ds);
        Assert.Equal("RollingUpdate", (string?)ds["spec"]!["updateStrategy"]!["type"]);
        Assert.Equal(1, (int)ds["spec"]!["updateStrategy"]!["rollingUpdate"]!["maxUnavailable"]!);
        Assert.Equal(10, (int)ds["spec"]!["revisionHistoryLimit"]!);
        Assert.Equal(["spec.template.metadata.labels"], Fields("daemonsets.apps", ds));
        Assert.Throws<ApiException>(() => validator.Validate(Type("daemonsets.apps"), ds));
    }
}
