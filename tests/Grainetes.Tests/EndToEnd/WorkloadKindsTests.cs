namespace Grainetes.Tests.EndToEnd;

/// <summary>DaemonSets, Jobs and CronJobs through kubectl with real pods on the host's node.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WorkloadKindsTests(ClusterFixture cluster)
{
    private readonly Kubectl kubectl = cluster.Kubectl;

    [Fact]
    public async Task ApiResourcesListsTheWorkloadKinds()
    {
        var output = (await kubectl.RunAsync("api-resources")).EnsureSuccess().Stdout;
        Assert.Matches(@"daemonsets\s+ds\s+apps/v1\s+true\s+DaemonSet", output);
        Assert.Matches(@"jobs\s+batch/v1\s+true\s+Job", output);
        Assert.Matches(@"cronjobs\s+cj\s+batch/v1\s+true\s+CronJob", output);
    }

    [Fact]
    public async Task AJobCreatedByKubectlRunsToCompletion()
    {
        var ns = "job-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"create job hello -n {ns} --image=busybox:1.36 -- /bin/sh -c 'echo hello'")).EnsureSuccess();
        (await kubectl.RunAsync($"wait --for=condition=complete job/hello -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100))).EnsureSuccess();
        Assert.Matches(@"hello\s+Complete\s+1/1", (await kubectl.RunAsync($"get jobs -n {ns}")).EnsureSuccess().Stdout);
        var pods = (await kubectl.RunAsync($"get pods -n {ns} -l job-name=hello -o jsonpath={{.items[*].status.phase}}")).EnsureSuccess().Stdout;
        Assert.Equal("Succeeded", pods.Trim());
    }

    [Fact]
    public async Task ADaemonSetRollsOutOnTheNodeAndACronJobShowsItsSchedule()
    {
        var ns = "ds-" + Guid.NewGuid().ToString("N")[..10];
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
                  terminationGracePeriodSeconds: 2
                  containers:
                  - {name: agent, image: busybox:1.36, command: [/bin/sh, -c, 'exec sleep 3600']}
            """)).EnsureSuccess();
        (await kubectl.RunAsync($"rollout status ds/agent -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100))).EnsureSuccess();
        Assert.Matches(@"agent\s+1\s+1\s+1\s+1\s+1\s+<none>", (await kubectl.RunAsync($"get ds -n {ns}")).EnsureSuccess().Stdout);

        (await kubectl.RunAsync($"create cronjob tick -n {ns} --image=busybox:1.36 '--schedule=*/5 * * * *' -- /bin/sh -c 'echo tick'")).EnsureSuccess();
        Assert.Matches(@"tick\s+\*/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>", (await kubectl.RunAsync($"get cj -n {ns}")).EnsureSuccess().Stdout);
        (await kubectl.RunAsync($"delete ds agent -n {ns}")).EnsureSuccess();
    }
}
