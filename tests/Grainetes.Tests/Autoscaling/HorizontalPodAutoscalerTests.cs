using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Metrics;
using Grainetes.Abstractions.Store;
using Grainetes.Tests.Controllers;
using Grainetes.Tests.EndToEnd;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Autoscaling;

/// <summary>
/// HPA decisions from fed metrics, on two silos: usage is reported into a node's metrics grain (the seam beside
/// the real sampler) and the HPA controller scales a Deployment through its /scale.
/// </summary>
public sealed class HorizontalPodAutoscalerTests(AutoscalingClusterFixture fixture) : IClassFixture<AutoscalingClusterFixture>
{
    private const string Deploy = "deployments.apps";
    private const string Hpas = "horizontalpodautoscalers.autoscaling";

    [Fact]
    public async Task ScalesUpOnCpuRespectsTheToleranceAndScalesDownOnlyAfterTheStabilizationWindow()
    {
        var w = new Workloads(fixture.Grains);
        var node = await CreateNodeAsync();
        await w.CreateAsync(Deploy, DeploymentWithCpuRequest("web", "100m"));
        await ReadyAsync(w, "web", 1);

        // One pod at 150% of its 100m request against a 50% target: ceil(3 × 1) = 3.
        await FeedAsync(w, node, 150);
        await w.CreateAsync(Hpas, Autoscaler("web", max: 5, scaleDownWindowSeconds: 60));
        await Poll.UntilAsync(() => ReplicasAsync(w, "web"), r => r == 3, Deadline, "the scale-up to 3");
        var hpa = await Poll.UntilAsync(() => w.GetAsync(Hpas, "web"), h => Int(h!["status"]?["desiredReplicas"]) == 3, Deadline, "desiredReplicas 3");
        Assert.NotNull(hpa!["status"]!["lastScaleTime"]);
        Assert.Equal(150, Utilization(hpa));
        Assert.Equal(("True", "ValidMetricFound"), Condition(hpa, "ScalingActive"));
        await Poll.UntilAsync(
            () => w.ListAsync("events"),
            events => events.Any(e => (string?)e["reason"] == "SuccessfulRescale"
                && (string?)e["message"] == "New size: 3; reason: cpu resource utilization (percentage of request) above target"
                && (string?)e["involvedObject"]?["kind"] == "HorizontalPodAutoscaler"),
            Deadline,
            "the SuccessfulRescale event");

        // Three pods at 53%: ratio 1.06 is within the 0.1 tolerance, so no fourth pod although ceil(1.06 × 3) = 4.
        await ReadyAsync(w, "web", 3);
        await FeedAsync(w, node, 53);
        hpa = await Poll.UntilAsync(() => w.GetAsync(Hpas, "web"), h => Utilization(h!) == 53 && Int(h!["status"]?["currentReplicas"]) == 3, Deadline, "a pass over three pods at 53%");
        Assert.Equal(3, Int(hpa!["status"]!["desiredReplicas"]));
        Assert.Equal(3, await ReplicasAsync(w, "web"));

        // At 20% the metric asks for 2, but the window still holds the recent 3s: stabilized, not scaled.
        await FeedAsync(w, node, 20);
        hpa = await Poll.UntilAsync(() => w.GetAsync(Hpas, "web"), h => Utilization(h!) == 20 && Condition(h!, "AbleToScale").Reason == "ScaleDownStabilized", Deadline, "the scale-down held by the window");
        Assert.Equal(3, Int(hpa!["status"]!["desiredReplicas"]));
        Assert.Equal(3, await ReplicasAsync(w, "web"));

        // Once the window has passed on the controller's clock, the size follows the metric.
        fixture.Advance(TimeSpan.FromSeconds(61));
        await Poll.UntilAsync(() => ReplicasAsync(w, "web"), r => r == 2, Deadline, "the scale-down to 2");
        await Poll.UntilAsync(
            () => w.ListAsync("events"),
            events => events.Any(e => (string?)e["message"] == "New size: 2; reason: All metrics below target"),
            Deadline,
            "the scale-down's event");

        await w.Object(Hpas, "web").Delete(DeleteOptions.Default);
        await w.Object(Deploy, "web").Delete(DeleteOptions.Default);
    }

    [Fact]
    public async Task ClampsToMaxReplicasAndReportsPodsWithoutRequests()
    {
        var w = new Workloads(fixture.Grains);
        var node = await CreateNodeAsync();
        await w.CreateAsync(Deploy, DeploymentWithCpuRequest("big", "100m"));
        await w.CreateAsync(Deploy, Deployment("plain", 1));
        await ReadyAsync(w, "big", 1);
        await ReadyAsync(w, "plain", 1);
        await FeedAsync(w, node, 900);

        // 900% against 50% asks for 18; without a behavior a pass may at most double (or reach 4), and maxReplicas 3 caps it.
        await w.CreateAsync(Hpas, Autoscaler("big", max: 3, scaleDownWindowSeconds: null));
        await Poll.UntilAsync(() => ReplicasAsync(w, "big"), r => r == 3, Deadline, "the scale-up to the maximum");
        var big = await Poll.UntilAsync(() => w.GetAsync(Hpas, "big"), h => Condition(h!, "ScalingLimited").Status == "True", Deadline, "ScalingLimited");
        Assert.Equal(("True", "TooManyReplicas"), Condition(big!, "ScalingLimited"));

        // Pods without a cpu request give no utilization: the HPA says so and leaves the deployment alone.
        await w.CreateAsync(Hpas, Autoscaler("plain", max: 3, scaleDownWindowSeconds: null));
        var plain = await Poll.UntilAsync(() => w.GetAsync(Hpas, "plain"), h => Condition(h!, "ScalingActive").Status == "False", Deadline, "ScalingActive False");
        Assert.Equal("FailedGetResourceMetric", Condition(plain!, "ScalingActive").Reason);
        Assert.Contains("missing request for cpu in container web of Pod plain-", (string?)Conditions(plain!).First(c => (string?)c["type"] == "ScalingActive")["message"], StringComparison.Ordinal);
        Assert.Equal(1, await ReplicasAsync(w, "plain"));

        foreach (var name in new[] { "big", "plain" })
        {
            await w.Object(Hpas, name).Delete(DeleteOptions.Default);
            await w.Object(Deploy, name).Delete(DeleteOptions.Default);
        }
    }

    private static JsonObject DeploymentWithCpuRequest(string name, string cpu)
    {
        var deployment = Deployment(name, 1);
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = cpu } };
        return deployment;
    }

    private static JsonObject Autoscaler(string target, int max, int? scaleDownWindowSeconds)
    {
        var spec = new JsonObject
        {
            ["scaleTargetRef"] = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = target },
            ["minReplicas"] = 1,
            ["maxReplicas"] = max,
            ["metrics"] = new JsonArray(new JsonObject
            {
                ["type"] = "Resource",
                ["resource"] = new JsonObject { ["name"] = "cpu", ["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = 50 } },
            }),
        };
        if (scaleDownWindowSeconds is { } window)
        {
            spec["behavior"] = new JsonObject { ["scaleDown"] = new JsonObject { ["stabilizationWindowSeconds"] = window } };
        }

        return new JsonObject
        {
            ["apiVersion"] = "autoscaling/v2",
            ["kind"] = "HorizontalPodAutoscaler",
            ["metadata"] = new JsonObject { ["name"] = target },
            ["spec"] = spec,
        };
    }

    /// <summary>A node object for the metrics reader to find (it asks the metrics grain of every registered node).</summary>
    private async Task<string> CreateNodeAsync()
    {
        var name = "hpa-node-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.Grains.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", name).GrainKey).Create(
            new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = name } }.ToJsonString(),
            WriteOptions.Default);
        return name;
    }

    /// <summary>
    /// The stand-in kubelet: waits for the deployment's pods, marks them Running and Ready since ten minutes ago (past
    /// the cpu initialization period), and waits for the deployment to count them.
    /// </summary>
    private static async Task ReadyAsync(Workloads w, string deployment, int count)
    {
        await Poll.UntilAsync(
            async () =>
            {
                foreach (var pod in (await PodsOfAsync(w, deployment)).Where(p => !IsReady(p) && !IsDeleting(p)))
                {
                    await MarkRunningAsync(w, pod);
                }

                var d = await w.GetAsync(Deploy, deployment);
                return Int(d?["status"]?["replicas"]) == count && Int(d?["status"]?["readyReplicas"]) == count;
            },
            ok => ok,
            Deadline,
            $"{count} ready pods of {deployment}");
    }

    private static async Task MarkRunningAsync(Workloads w, JsonObject pod)
    {
        var since = DateTime.UtcNow.AddMinutes(-10).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var update = pod.DeepClone().AsObject();
        update["metadata"]!.AsObject().Remove("resourceVersion");
        update["status"] = new JsonObject
        {
            ["phase"] = "Running",
            ["startTime"] = since,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True", ["lastTransitionTime"] = since }),
        };
        try
        {
            await w.Object("pods", Name(pod)).Update(update.ToJsonString(), new WriteOptions { Subresource = "status" });
        }
        catch (Grainetes.Machinery.Errors.ApiException ex) when (ex.Code is 404 or 409)
        {
            // Deleted or changed meanwhile: the next poll looks again.
        }
    }

    /// <summary>Reports every live pod of the namespace at <paramref name="cpuMilli"/> millicores, as the node's sampler would.</summary>
    private async Task FeedAsync(Workloads w, string node, long cpuMilli)
    {
        var now = DateTimeOffset.UtcNow;
        var pods = (await w.PodsAsync()).Where(p => !IsDeleting(p))
            .Select(p => new PodUsage(w.Ns, Name(p), (string)p["metadata"]!["uid"]!, now, TimeSpan.FromSeconds(10), [new ContainerUsage("web", cpuMilli * 1_000_000, 8 << 20)]))
            .ToList();
        await fixture.Grains.GetGrain<INodeMetricsGrain>(node).Report(new NodeMetricsReport(node, null, pods, now.AddMinutes(10)));
    }

    private static async Task<List<JsonObject>> PodsOfAsync(Workloads w, string deployment) =>
        (await w.PodsAsync()).Where(p => (string?)p["metadata"]?["labels"]?["app"] == deployment).ToList();

    private static async Task<int> ReplicasAsync(Workloads w, string deployment) =>
        Int((await w.GetAsync(Deploy, deployment))!["spec"]!["replicas"]);

    private static int? Utilization(JsonObject hpa) =>
        (hpa["status"]?["currentMetrics"] as JsonArray)?.FirstOrDefault()?["resource"]?["current"]?["averageUtilization"] is JsonNode u ? Int(u) : null;

    private static IEnumerable<JsonObject> Conditions(JsonObject hpa) => (hpa["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>() ?? [];

    private static (string? Status, string? Reason) Condition(JsonObject hpa, string type) =>
        Conditions(hpa).Where(c => (string?)c["type"] == type).Select(c => ((string?)c["status"], (string?)c["reason"])).FirstOrDefault();
}
