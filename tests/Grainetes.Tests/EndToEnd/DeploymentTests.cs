using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>Deployments through kubectl with real pods: roll out, scale, heal, update, undo, delete.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DeploymentTests(ClusterFixture cluster)
{
    private readonly Kubectl kubectl = cluster.Kubectl;

    private static string Manifest(string image) => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 3
          strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: 2
              containers:
              - {name: web, image: {{{image}}}, command: [/bin/sh, -c, 'echo up; exec sleep 3600']}
        """;

    [Fact]
    public async Task ADeploymentRollsOutScalesHealsUpdatesAndRollsBack()
    {
        var ns = "dep-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"apply -n {ns} -f -", Manifest("busybox:1.36"))).EnsureSuccess();
        (await kubectl.RunAsync($"rollout status deployment/web -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100))).EnsureSuccess();
        var table = (await kubectl.RunAsync($"get deploy,rs -n {ns}")).EnsureSuccess().Stdout;
        Assert.Matches(@"deployment.apps/web\s+3/3\s+3\s+3", table);
        Assert.Matches(@"replicaset.apps/web-[a-z0-9]+\s+3\s+3\s+3", table);

        (await kubectl.RunAsync($"scale deployment web -n {ns} --replicas=5")).EnsureSuccess();
        await Poll.UntilAsync(() => ReadyReplicasAsync(ns), r => r == 5, TimeSpan.FromSeconds(60), "5 ready replicas");

        var victim = (await kubectl.RunAsync($"get pods -n {ns} -o name")).EnsureSuccess().Stdout.Split('\n')[0];
        (await kubectl.RunAsync($"delete {victim} -n {ns}")).EnsureSuccess();
        await Poll.UntilAsync(
            async () => (await kubectl.RunAsync($"get pods -n {ns} --field-selector status.phase=Running -o name")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            pods => pods.Length == 5 && !pods.Contains(victim),
            TimeSpan.FromSeconds(60),
            "a replacement pod");

        (await kubectl.RunAsync($"set image deployment/web web=busybox:1.37 -n {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"rollout status deployment/web -n {ns} --timeout=120s", timeout: TimeSpan.FromSeconds(130))).EnsureSuccess();
        var running = await Poll.UntilAsync(
            async () => (await kubectl.RunAsync($"get pods -n {ns} --field-selector status.phase=Running -o jsonpath={{.items[*].spec.containers[0].image}}")).EnsureSuccess().Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            found => found.Length == 5,
            TimeSpan.FromSeconds(60),
            "only the new pods running");
        Assert.All(running, image => Assert.Equal("busybox:1.37", image));
        var history = (await kubectl.RunAsync($"rollout history deployment/web -n {ns}")).EnsureSuccess().Stdout;
        Assert.Matches(@"(?m)^1\s", history);
        Assert.Matches(@"(?m)^2\s", history);

        (await kubectl.RunAsync($"rollout undo deployment/web -n {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"rollout status deployment/web -n {ns} --timeout=120s", timeout: TimeSpan.FromSeconds(130))).EnsureSuccess();
        Assert.Equal("busybox:1.36", (await kubectl.RunAsync($"get deploy web -n {ns} -o jsonpath={{.spec.template.spec.containers[0].image}}")).EnsureSuccess().Stdout);

        // Undo goes back to the first ReplicaSet rather than making a third one.
        var replicaSets = (await kubectl.RunAsync($"get rs -n {ns} -o name")).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, replicaSets.Length);

        var described = (await kubectl.RunAsync($"describe deployment web -n {ns}")).EnsureSuccess().Stdout;
        Assert.Contains("ScalingReplicaSet", described);
        Assert.Matches(@"Available\s+True", described);

        (await kubectl.RunAsync($"delete deployment web -n {ns}")).EnsureSuccess();
        await Poll.UntilAsync(() => kubectl.RunAsync($"get rs,pods -n {ns} -o name"), r => r.Stdout.Trim().Length == 0, TimeSpan.FromSeconds(60), "replica sets and pods collected");
    }

    private async Task<int> ReadyReplicasAsync(string ns)
    {
        var json = JsonNode.Parse((await kubectl.RunAsync($"get deploy web -n {ns} -o json")).EnsureSuccess().Stdout)!;
        return (int?)json["status"]?["readyReplicas"] ?? 0;
    }
}
