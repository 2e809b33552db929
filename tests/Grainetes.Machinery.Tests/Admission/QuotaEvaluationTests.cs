using System.Text.Json.Nodes;
using Grainetes.Machinery.Admission;

namespace Grainetes.Machinery.Tests.Admission;

public sealed class QuotaEvaluationTests
{
    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    private static JsonObject Pod(string resources = "{}", string phase = "Pending", string init = "") => Parse($$$"""
        {"metadata":{"name":"p"},"spec":{"containers":[{"name":"app","resources":{{{resources}}}}]{{{init}}}},"status":{"phase":"{{{phase}}}"}}
        """);

    private static QuotaLimit Quota(string name, string hard) => new(name, ResourceAmounts.Parse(Parse(hard)));

    [Theory]
    [InlineData("requests.cpu", "500m", "500m")]
    [InlineData("requests.cpu", "1000m", "1")]
    [InlineData("requests.cpu", "1.5", "1500m")]
    [InlineData("limits.memory", "1024Mi", "1Gi")]
    [InlineData("limits.memory", "1G", "1G")]
    [InlineData("requests.memory", "100", "100")]
    [InlineData("pods", "10", "10")]
    [InlineData("requests.cpu", "100u", "100u")]
    public void Quantities_print_canonically_for_their_resource(string resource, string text, string expected)
    {
        Assert.True(QuantityText.TryRead(JsonValue.Create(text), out var value));
        Assert.Equal(expected, QuantityText.Format(resource, value));
    }

    [Fact]
    public void Pod_usage_sums_containers_takes_the_largest_init_container_and_lets_limits_stand_in_for_requests()
    {
        var pod = Parse("""
            {"spec":{"containers":[
              {"name":"a","resources":{"requests":{"cpu":"100m"},"limits":{"cpu":"200m","memory":"64Mi"}}},
              {"name":"b","resources":{"requests":{"cpu":"300m","memory":"32Mi"}}}],
             "initContainers":[{"name":"i","resources":{"requests":{"cpu":"1"}}}]}}
            """);
        var usage = QuotaUsage.Of("pods", pod);
        Assert.Equal(1m, usage["pods"]);
        Assert.Equal(1m, usage["count/pods"]);
        Assert.Equal(1m, usage["requests.cpu"]);
        Assert.Equal(1m, usage["cpu"]);
        Assert.Equal(96m * 1024 * 1024, usage["requests.memory"]);
        Assert.Equal(0.2m, usage["limits.cpu"]);
        Assert.Equal(64m * 1024 * 1024, usage["limits.memory"]);
    }

    [Theory]
    [InlineData("Succeeded")]
    [InlineData("Failed")]
    public void Finished_pods_hold_only_their_object_count(string phase)
    {
        var usage = QuotaUsage.Of("pods", Pod("""{"requests":{"cpu":"1"}}""", phase));
        Assert.Equal(new Dictionary<string, decimal> { ["count/pods"] = 1m }, usage);
    }

    [Fact]
    public void Services_count_node_ports_and_load_balancers()
    {
        var usage = QuotaUsage.Of("services", Parse("""{"spec":{"type":"LoadBalancer","ports":[{"port":80},{"port":443}]}}"""));
        Assert.Equal(1m, usage["services"]);
        Assert.Equal(1m, usage["count/services"]);
        Assert.Equal(1m, usage["services.loadbalancers"]);
        Assert.Equal(2m, usage["services.nodeports"]);
        Assert.False(QuotaUsage.Of("services", Parse("""{"spec":{"ports":[{"port":80}]}}""")).ContainsKey("services.nodeports"));
    }

    [Fact]
    public void Exceeding_a_quota_is_refused_with_kubernetes_message()
    {
        var refusal = QuotaEvaluation.Refusal(
            "pods",
            Pod(),
            [Quota("compute", """{"pods":"2"}""")],
            new Dictionary<string, decimal> { ["pods"] = 2m, ["count/pods"] = 2m },
            QuotaUsage.Of("pods", Pod()));
        Assert.Equal("exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2", refusal);
    }

    [Fact]
    public void Only_exceeded_resources_are_named_and_quotas_are_checked_in_name_order()
    {
        var pod = Pod("""{"requests":{"cpu":"600m","memory":"1Gi"},"limits":{"cpu":"600m","memory":"1Gi"}}""");
        var used = new Dictionary<string, decimal> { ["requests.cpu"] = 0.5m, ["requests.memory"] = 0m, ["pods"] = 1m };
        var refusal = QuotaEvaluation.Refusal(
            "pods",
            pod,
            [Quota("zeta", """{"pods":"1"}"""), Quota("alpha", """{"requests.cpu":"1","requests.memory":"2Gi","pods":"5"}""")],
            used,
            QuotaUsage.Of("pods", pod));
        Assert.Equal("exceeded quota: alpha, requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1", refusal);
    }

    [Fact]
    public void Writes_within_every_quota_or_outside_them_pass()
    {
        var used = new Dictionary<string, decimal> { ["pods"] = 1m };
        Assert.Null(QuotaEvaluation.Refusal("pods", Pod(), [Quota("q", """{"pods":"2"}""")], used, QuotaUsage.Of("pods", Pod())));
        var configMap = Parse("""{"metadata":{"name":"c"}}""");
        Assert.Null(QuotaEvaluation.Refusal("configmaps", configMap, [Quota("q", """{"pods":"0"}""")], used, QuotaUsage.Of("configmaps", configMap)));
        Assert.Equal(
            "exceeded quota: q, requested: configmaps=1, used: configmaps=0, limited: configmaps=0",
            QuotaEvaluation.Refusal("configmaps", configMap, [Quota("q", """{"configmaps":"0"}""")], used, QuotaUsage.Of("configmaps", configMap)));
    }

    [Fact]
    public void A_compute_quota_obliges_every_container_to_state_it()
    {
        var pod = Parse("""
            {"spec":{"containers":[{"name":"b","resources":{"limits":{"cpu":"1"}}},{"name":"a"}],
                     "initContainers":[{"name":"init"}]}}
            """);
        var refusal = QuotaEvaluation.Refusal("pods", pod, [Quota("compute", """{"requests.cpu":"4","limits.memory":"1Gi"}""")], new Dictionary<string, decimal>(), QuotaUsage.Of("pods", pod));
        Assert.Equal("failed quota: compute: must specify limits.memory for: a,b,init; requests.cpu for: a,init", refusal);
    }

    [Fact]
    public void Amounts_add_subtract_and_mask()
    {
        var a = ResourceAmounts.Parse(Parse("""{"cpu":"500m","pods":"1","bad":"x"}"""));
        Assert.False(a.ContainsKey("bad"));
        var sum = ResourceAmounts.Add(a, ResourceAmounts.Parse(Parse("""{"cpu":"1.5"}""")));
        Assert.Equal(2m, sum["cpu"]);
        Assert.Equal(-1.5m, ResourceAmounts.Subtract(a, sum)["cpu"]);
        Assert.Equal("cpu=2,memory=0", ResourceAmounts.PrettyPrint(ResourceAmounts.Mask(sum, ["memory", "cpu"])));
        Assert.Equal("""{"cpu":"2","pods":"1"}""", ResourceAmounts.ToJson(sum).ToJsonString());
    }

    [Theory]
    [InlineData("""{"spec":"x","status":5}""")]
    [InlineData("""{"spec":{"containers":"x","initContainers":[1,"a"]}}""")]
    [InlineData("""{"spec":{"containers":[{"name":7,"resources":"big"},{"resources":{"limits":[1],"requests":{"cpu":{"a":1}}}}]}}""")]
    public void Malformed_objects_are_read_without_throwing(string json)
    {
        // Admission runs before validation: a bad body must still end as validation's 422, not a 500 here.
        var pod = Parse(json);
        var usage = QuotaUsage.Of("pods", pod);
        Assert.Equal(1m, usage["count/pods"]);
        QuotaEvaluation.Refusal("pods", pod, [Quota("q", """{"requests.cpu":"1","pods":"3"}""")], new Dictionary<string, decimal>(), usage);
        var range = Parse("""{"metadata":{"name":"r"},"spec":{"limits":[{"type":"Container","default":{"cpu":"1"},"max":{"cpu":"2"}}]}}""");
        LimitRanges.ApplyDefaults(pod, [range]);
        LimitRanges.Refusal(pod, [range]);
        QuotaUsage.Of("services", Parse("""{"spec":"x"}"""));
        LimitRanges.DefaultItems(Parse("""{"spec":"x"}"""));
    }
}
