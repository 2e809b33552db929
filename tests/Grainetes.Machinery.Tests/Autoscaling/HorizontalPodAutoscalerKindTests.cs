using System.Text.Json.Nodes;
using Grainetes.Machinery.Defaulting;
using Grainetes.Machinery.Discovery;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Printing;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Validation;

namespace Grainetes.Machinery.Tests.Autoscaling;

/// <summary>The HorizontalPodAutoscaler and Metrics API kinds as the registry, defaults, validation, printing and discovery see them.</summary>
public sealed class HorizontalPodAutoscalerKindTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly ResourceType Hpa = ResourceRegistry.BuiltIn.Get("horizontalpodautoscalers.autoscaling");

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public void V2_is_stored_and_v1_is_served_by_conversion()
    {
        Assert.Equal("autoscaling/v2", Hpa.ApiVersion);
        Assert.True(Hpa.HasStatus && Hpa.TracksGeneration);
        Assert.Equal(["hpa"], Hpa.ShortNames);
        var v1 = ResourceRegistry.BuiltIn.Find("autoscaling", "v1", "horizontalpodautoscalers")!;
        Assert.Equal("autoscaling/v2", v1.StoredAs);
        Assert.Equal(Hpa.StorageKey, v1.StorageKey);
        Assert.DoesNotContain(ResourceRegistry.BuiltIn.Stored, t => t.StoredAs is not null || !t.Stored);
    }

    [Fact]
    public void Defaults_fill_min_replicas_the_cpu_target_and_a_given_behavior()
    {
        var hpa = Obj("""{"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":3,"behavior":{"scaleDown":{"stabilizationWindowSeconds":30}}}}""");
        ObjectDefaults.Apply(Hpa, hpa);
        Assert.Equal(1, (int?)hpa["spec"]!["minReplicas"]);
        Assert.Equal(80, (int?)hpa["spec"]!["metrics"]![0]!["resource"]!["target"]!["averageUtilization"]);
        Assert.Equal(0, (int?)hpa["spec"]!["behavior"]!["scaleUp"]!["stabilizationWindowSeconds"]);
        Assert.Equal(2, hpa["spec"]!["behavior"]!["scaleUp"]!["policies"]!.AsArray().Count);
        Assert.Equal(30, (int?)hpa["spec"]!["behavior"]!["scaleDown"]!["stabilizationWindowSeconds"]);
        Assert.Equal("Max", (string?)hpa["spec"]!["behavior"]!["scaleDown"]!["selectPolicy"]);
    }

    [Fact]
    public void Validation_reports_every_problem_with_Kubernetes_causes()
    {
        var hpa = Obj("""
            {"metadata":{"name":"web"},"spec":{"scaleTargetRef":{"name":"web"},"minReplicas":4,"maxReplicas":2,
             "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":0}}},
                        {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization"}}}],
             "behavior":{"scaleDown":{"stabilizationWindowSeconds":4000,"policies":[{"type":"Pods","value":1,"periodSeconds":2000}]}}}}
            """);
        var ex = Assert.Throws<ApiException>(() => new ObjectValidator().Validate(Hpa, hpa));
        Assert.Equal(422, ex.Code);
        var causes = ex.Causes.Select(c => (c.Field, c.Message)).ToList();
        Assert.Contains(("spec.maxReplicas", "Invalid value: 2: must be greater than or equal to `minReplicas`"), causes);
        Assert.Contains(("spec.scaleTargetRef.kind", "Required value"), causes);
        Assert.Contains(("spec.metrics[0].resource.target.averageUtilization", "Invalid value: 0: must be greater than 0"), causes);
        Assert.Contains(("spec.metrics[1].resource.target.averageUtilization", "Required value: must set either a target raw value or a target utilization"), causes);
        Assert.Contains(("spec.behavior.scaleDown.stabilizationWindowSeconds", "Invalid value: 4000: must be less than or equal to 3600"), causes);
        Assert.Contains(("spec.behavior.scaleDown.policies[0].periodSeconds", "Invalid value: 2000: must be less than or equal to 1800"), causes);
    }

    [Fact]
    public void A_valid_hpa_passes()
    {
        var hpa = Obj("""{"metadata":{"name":"web"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":5}}""");
        ObjectDefaults.Apply(Hpa, hpa);
        new ObjectValidator().Validate(Hpa, hpa);
    }

    [Fact]
    public void Get_hpa_shows_reference_targets_and_bounds()
    {
        var table = new TablePrinter().ToTable(Hpa, [Obj("""
            {"metadata":{"name":"web","creationTimestamp":"2025-01-01T11:59:00Z"},
             "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":5,
                     "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":50}}},
                                {"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}}]},
             "status":{"currentReplicas":3,"currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":12,"averageValue":"12m"}}},{"type":""}]}}
            """)], null, null, "None", Now);
        Assert.Equal(["Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"], table["columnDefinitions"]!.AsArray().Select(c => (string)c!["name"]!));
        Assert.Equal(
            ["web", "Deployment/web", "cpu: 12%/50%, memory: <unknown>/100Mi", "1", "5", "3", "60s"],
            table["rows"]![0]!["cells"]!.AsArray().Select(c => c!.ToString()));
    }

    [Fact]
    public void Discovery_advertises_the_metrics_api_read_only_and_both_autoscaling_versions()
    {
        var discovery = new DiscoveryDocuments(ResourceRegistry.BuiltIn, "127.0.0.1:6443");
        var metrics = discovery.BuildApiResourceList("metrics.k8s.io", "v1beta1")!;
        var pods = metrics["resources"]!.AsArray().Single(r => (string?)r!["name"] == "pods")!;
        Assert.Equal("PodMetrics", (string?)pods["kind"]);
        Assert.Equal("""["get","list"]""", pods["verbs"]!.ToJsonString());
        Assert.True((bool)pods["namespaced"]!);
        Assert.Null(pods["storageVersionHash"]);

        var group = discovery.BuildApiGroup("autoscaling")!;
        Assert.Equal("autoscaling/v2", (string?)group["preferredVersion"]!["groupVersion"]);
        Assert.Equal(2, group["versions"]!.AsArray().Count);
        var aggregated = discovery.BuildAggregated(core: false).ToJsonString();
        Assert.Contains("\"metrics.k8s.io\"", aggregated, StringComparison.Ordinal);
    }
}
