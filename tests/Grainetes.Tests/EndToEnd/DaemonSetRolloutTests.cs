namespace Grainetes.Tests.EndToEnd;

/// <summary>A DaemonSet's rollout history through real kubectl: ControllerRevisions, rollout status/history/undo/restart.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DaemonSetRolloutTests(ClusterFixture cluster)
{
    private static readonly TimeSpan RolloutTimeout = TimeSpan.FromSeconds(100);

    private readonly Kubectl kubectl = cluster.Kubectl;

    [Fact]
    public async Task RolloutHistoryUndoStatusAndRestartOfADaemonSetWorkThroughKubectl()
    {
        var ns = "dsr-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: agent}
            spec:
              selector: {matchLabels: {app: agent}}
              template:
                metadata: {labels: {app: agent}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - {name: agent, image: busybox:1.36, command: [/bin/sh, -c, 'exec sleep 3600']}
            """)).EnsureSuccess();
        var status = (await kubectl.RunAsync($"rollout status ds/agent -n {ns} --timeout=90s", timeout: RolloutTimeout)).EnsureSuccess().Stdout;
        Assert.Contains("daemon set \"agent\" successfully rolled out", status);

        // The template's revision, printed as Kubernetes prints it.
        var revisions = (await kubectl.RunAsync($"get controllerrevisions -n {ns}")).EnsureSuccess().Stdout;
        Assert.Matches(@"NAME\s+CONTROLLER\s+REVISION\s+AGE", revisions);
        Assert.Matches(@"agent-[a-z0-9]+\s+daemonset.apps/agent\s+1\s", revisions);

        (await kubectl.RunAsync($"set image ds/agent agent=busybox:1.37 -n {ns}")).EnsureSuccess();
        status = (await kubectl.RunAsync($"rollout status ds/agent -n {ns} --timeout=90s", timeout: RolloutTimeout)).EnsureSuccess().Stdout;
        Assert.Contains("successfully rolled out", status);
        Assert.Equal("busybox:1.37", (await kubectl.RunAsync($"get pods -n {ns} -l app=agent -o jsonpath={{.items[*].spec.containers[0].image}}")).EnsureSuccess().Stdout.Trim());

        var history = (await kubectl.RunAsync($"rollout history ds/agent -n {ns}")).EnsureSuccess().Stdout;
        Assert.Matches(@"REVISION\s+CHANGE-CAUSE", history);
        Assert.Matches(@"(?m)^1\s", history);
        Assert.Matches(@"(?m)^2\s", history);
        var first = (await kubectl.RunAsync($"rollout history ds/agent -n {ns} --revision=1")).EnsureSuccess().Stdout;
        Assert.Contains("with revision #1", first);
        Assert.Matches(@"Image:\s+busybox:1.36", first);

        // Undo patches the DaemonSet with revision 1's data; the old revision comes back as revision 3.
        var undo = (await kubectl.RunAsync($"rollout undo ds/agent -n {ns}")).EnsureSuccess().Stdout;
        Assert.Contains("daemonset.apps/agent rolled back", undo);
        (await kubectl.RunAsync($"rollout status ds/agent -n {ns} --timeout=90s", timeout: RolloutTimeout)).EnsureSuccess();
        Assert.Equal("busybox:1.36", (await kubectl.RunAsync($"get ds agent -n {ns} -o jsonpath={{.spec.template.spec.containers[0].image}}")).EnsureSuccess().Stdout);
        var numbers = await Poll.UntilAsync(
            async () => (await kubectl.RunAsync($"get controllerrevisions -n {ns} -o jsonpath={{.items[*].revision}}")).EnsureSuccess().Stdout
                .Split(' ', StringSplitOptions.RemoveEmptyEntries).Order().ToArray(),
            found => found.SequenceEqual(["2", "3"]),
            TimeSpan.FromSeconds(30),
            "revisions 2 and 3");
        Assert.Equal(["2", "3"], numbers);
        await Poll.UntilAsync(
            async () => (await kubectl.RunAsync($"get pods -n {ns} -l app=agent -o jsonpath={{.items[*].spec.containers[0].image}}")).EnsureSuccess().Stdout.Trim(),
            images => images == "busybox:1.36",
            TimeSpan.FromSeconds(60),
            "the pod back on busybox:1.36");

        // kubectl compares the revision's data with the template itself and skips a rollback to where it is.
        var skipped = (await kubectl.RunAsync($"rollout undo ds/agent -n {ns} --to-revision=3")).EnsureSuccess().Stdout;
        Assert.Contains("skipped rollback (current template already matches revision 3)", skipped);

        // Restart stamps the template, which is a new revision rolled out like any other.
        (await kubectl.RunAsync($"rollout restart ds/agent -n {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"rollout status ds/agent -n {ns} --timeout=90s", timeout: RolloutTimeout)).EnsureSuccess();
        history = (await kubectl.RunAsync($"rollout history ds/agent -n {ns}")).EnsureSuccess().Stdout;
        Assert.Matches(@"(?m)^4\s", history);
        Assert.Contains("kubectl.kubernetes.io/restartedAt", (await kubectl.RunAsync($"get pods -n {ns} -l app=agent -o yaml")).EnsureSuccess().Stdout);

        (await kubectl.RunAsync($"delete namespace {ns} --timeout=60s", timeout: TimeSpan.FromSeconds(70))).EnsureSuccess();
    }
}
