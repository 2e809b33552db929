using System.Text.Json.Nodes;
using Grainetes.Machinery.Admission;

namespace Grainetes.Machinery.Tests.Admission;

public sealed class LimitRangesTests
{
    private static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    private static JsonObject Range(string name, string items) => Parse($$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"limits":{{{items}}}}}""");

    private static JsonObject Pod(string resources) => Parse($$$"""{"metadata":{"name":"p"},"spec":{"containers":[{"name":"app","resources":{{{resources}}}}]}}""");

    [Fact]
    public void Item_defaults_follow_kubernetes_api_defaulting()
    {
        var range = Range("r", """[{"type":"Container","max":{"cpu":"2"},"default":{"memory":"256Mi"},"min":{"ephemeral-storage":"1Gi"}}]""");
        LimitRanges.DefaultItems(range);
        var item = range["spec"]!["limits"]![0]!;
        Assert.Equal("""{"memory":"256Mi","cpu":"2"}""", item["default"]!.ToJsonString());
        Assert.Equal("""{"memory":"256Mi","cpu":"2","ephemeral-storage":"1Gi"}""", item["defaultRequest"]!.ToJsonString());
    }

    [Fact]
    public void Container_defaults_fill_only_what_is_missing_and_say_so()
    {
        var pod = Pod("""{"limits":{"cpu":"300m"}}""");
        var ranges = new[] { Range("r", """[{"type":"Container","default":{"cpu":"500m","memory":"128Mi"},"defaultRequest":{"cpu":"100m","memory":"64Mi"}}]""") };
        Assert.True(LimitRanges.ApplyDefaults(pod, ranges));
        var resources = pod["spec"]!["containers"]![0]!["resources"]!;
        Assert.Equal("300m", (string?)resources["limits"]!["cpu"]);
        Assert.Equal("128Mi", (string?)resources["limits"]!["memory"]);

        // The stated limit stood in for the cpu request before the defaults applied, as API defaulting does.
        Assert.Equal("300m", (string?)resources["requests"]!["cpu"]);
        Assert.Equal("64Mi", (string?)resources["requests"]!["memory"]);
        Assert.Equal("LimitRanger plugin set: memory request for container app; memory limit for container app", (string?)pod["metadata"]!["annotations"]![LimitRanges.Annotation]);
        Assert.False(LimitRanges.ApplyDefaults(pod, ranges));
    }

    [Theory]
    [InlineData("""{"limits":{"cpu":"2","memory":"32Mi"}}""", "maximum cpu usage per Container is 1, but limit is 2")]
    [InlineData("""{"requests":{"cpu":"50m","memory":"32Mi"}}""", "maximum cpu usage per Container is 1.  No limit is specified")]
    [InlineData("""{"requests":{"cpu":"1500m","memory":"32Mi"},"limits":{"cpu":"1"}}""", "maximum cpu usage per Container is 1, but request is 1500m")]
    [InlineData("""{"limits":{"cpu":"1","memory":"8Mi"}}""", "minimum memory usage per Container is 16Mi, but request is 8Mi")]
    [InlineData("""{"requests":{"memory":"32Mi"},"limits":{"cpu":"1","memory":"8Mi"}}""", "minimum memory usage per Container is 16Mi, but limit is 8Mi")]
    [InlineData("""{"limits":{"cpu":"1"}}""", "minimum memory usage per Container is 16Mi.  No request is specified")]
    public void Container_min_and_max_are_enforced_with_kubernetes_messages(string resources, string expected)
    {
        var ranges = new[] { Range("r", """[{"type":"Container","max":{"cpu":"1"},"min":{"memory":"16Mi"}}]""") };
        Assert.Equal(expected, LimitRanges.Refusal(Pod(resources), ranges));
    }

    [Fact]
    public void Ratio_and_pod_limits_are_enforced_and_several_problems_aggregate()
    {
        var ranges = new[] { Range("r", """[{"type":"Container","maxLimitRequestRatio":{"cpu":"2"}},{"type":"Pod","max":{"memory":"1Gi"}}]""") };
        Assert.Equal(
            "[cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000, maximum memory usage per Pod is 1Gi, but limit is 2Gi]",
            LimitRanges.Refusal(Pod("""{"requests":{"cpu":"250m"},"limits":{"cpu":"1","memory":"2Gi"}}"""), ranges));
        Assert.Equal(
            "cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0",
            LimitRanges.Refusal(Pod("""{"requests":{"cpu":"250m"},"limits":{"memory":"1Gi"}}"""), ranges));
        Assert.Null(LimitRanges.Refusal(Pod("""{"requests":{"cpu":"500m"},"limits":{"cpu":"1","memory":"1Gi"}}"""), ranges));
    }

    [Fact]
    public void Forbidden_errors_read_as_kubernetes_admission_errors()
    {
        var error = AdmissionRefusal.Forbidden(Grainetes.Machinery.Resources.ResourceRegistry.BuiltIn.Get("pods"), "web", "exceeded quota: q");
        Assert.Equal(403, error.Code);
        Assert.Equal("Forbidden", error.Reason);
        Assert.Equal("pods \"web\" is forbidden: exceeded quota: q", error.Message);
        var deployment = AdmissionRefusal.Forbidden(Grainetes.Machinery.Resources.ResourceRegistry.BuiltIn.Get("deployments.apps"), "d", "x");
        Assert.Equal("deployments.apps \"d\" is forbidden: x", deployment.Message);
    }
}
