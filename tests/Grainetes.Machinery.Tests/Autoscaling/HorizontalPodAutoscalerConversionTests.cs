using System.Text.Json.Nodes;
using Grainetes.Machinery.Autoscaling;

namespace Grainetes.Machinery.Tests.Autoscaling;

/// <summary>autoscaling/v1 ↔ autoscaling/v2, the way Kubernetes converts HPAs.</summary>
public sealed class HorizontalPodAutoscalerConversionTests
{
    private static void AssertJson(string expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"expected {expected}\nactual   {actual.ToJsonString()}");

    [Fact]
    public void What_kubectl_autoscale_posts_becomes_a_cpu_utilization_metric()
    {
        var v1 = JsonNode.Parse("""
            {"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
             "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":5,"targetCPUUtilizationPercentage":50},
             "status":{"currentReplicas":0,"desiredReplicas":0}}
            """)!.AsObject();
        AssertJson("""
            {"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
             "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":5,
                     "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}}]},
             "status":{"currentReplicas":0,"desiredReplicas":0}}
            """, HorizontalPodAutoscalerConversion.ToV2(v1));
    }

    [Fact]
    public void What_v1_cannot_hold_travels_in_annotations_and_comes_back()
    {
        var v2 = JsonNode.Parse("""
            {"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"web","annotations":{"team":"a"}},
             "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":2,"maxReplicas":9,
                     "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":60}}},
                                {"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}}],
                     "behavior":{"scaleDown":{"stabilizationWindowSeconds":30,"selectPolicy":"Max","policies":[{"type":"Pods","value":1,"periodSeconds":15}]}}},
             "status":{"observedGeneration":3,"currentReplicas":2,"desiredReplicas":3,"lastScaleTime":"2025-01-01T00:00:00Z",
                       "currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":75,"averageValue":"75m"}}}],
                       "conditions":[{"type":"AbleToScale","status":"True","reason":"ReadyForNewScale","message":"it's \"fine\""}]}}
            """)!.AsObject();

        var v1 = HorizontalPodAutoscalerConversion.ToV1(v2);
        Assert.Equal("autoscaling/v1", (string?)v1["apiVersion"]);
        Assert.Equal(60, (int?)v1["spec"]!["targetCPUUtilizationPercentage"]);
        Assert.Equal(75, (int?)v1["status"]!["currentCPUUtilizationPercentage"]);
        Assert.Equal(3, (int?)v1["status"]!["desiredReplicas"]);
        var annotations = v1["metadata"]!["annotations"]!.AsObject();
        Assert.Equal("a", (string?)annotations["team"]);
        Assert.Contains("\"memory\"", (string?)annotations[HorizontalPodAutoscalerConversion.MetricsAnnotation], StringComparison.Ordinal);
        Assert.Contains("it's \\\"fine\\\"", (string?)annotations[HorizontalPodAutoscalerConversion.ConditionsAnnotation], StringComparison.Ordinal);
        Assert.NotNull(annotations[HorizontalPodAutoscalerConversion.BehaviorAnnotation]);

        // A v1 client that read, changed and wrote back loses nothing of the v2 object.
        var back = HorizontalPodAutoscalerConversion.ToV2(v1);
        var expected = v2.DeepClone().AsObject();
        expected["status"]!["currentMetrics"]![0]!["resource"]!["current"]!.AsObject().Remove("averageValue");
        AssertJson(expected.ToJsonString(), back);
    }
}
