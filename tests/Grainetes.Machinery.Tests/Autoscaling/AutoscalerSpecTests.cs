using System.Text.Json.Nodes;
using Grainetes.Machinery.Autoscaling;

namespace Grainetes.Machinery.Tests.Autoscaling;

public sealed class AutoscalerSpecTests
{
    [Fact]
    public void Parses_targets_metrics_and_behavior_with_defaults()
    {
        var spec = AutoscalerSpec.Parse(JsonNode.Parse("""
            {"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":5,
             "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"AverageValue","averageValue":"250m"}}},
                        {"type":"Pods","pods":{}}],
             "behavior":{"scaleDown":{"stabilizationWindowSeconds":30}}}}
            """)!.AsObject());
        Assert.Equal(("apps/v1", "Deployment", "web"), (spec.TargetApiVersion, spec.TargetKind, spec.TargetName));
        Assert.Equal((1, 5), (spec.MinReplicas, spec.MaxReplicas));
        Assert.Equal(new ResourceMetricTarget("cpu", null, 250), Assert.Single(spec.Metrics));
        Assert.Equal(["Pods"], spec.UnsupportedMetrics);
        Assert.Equal(ScalingRules.DefaultScaleUp, spec.Behavior!.ScaleUp);
        Assert.Equal(30, spec.Behavior.ScaleDown.StabilizationWindowSeconds);
        Assert.Equal(ScalingRules.DefaultScaleDown.Policies, spec.Behavior.ScaleDown.Policies);
    }

    [Fact]
    public void No_metric_means_80_percent_of_the_cpu_request()
    {
        var spec = AutoscalerSpec.Parse(JsonNode.Parse("""{"spec":{"maxReplicas":3}}""")!.AsObject());
        Assert.Equal(new ResourceMetricTarget("cpu", 80, null), Assert.Single(spec.Metrics));
        Assert.Null(spec.Behavior);
    }
}
