using System.Globalization;
using System.Text.RegularExpressions;

namespace Grainetes.Tests.EndToEnd;

/// <summary>
/// The Metrics API and the HPA through real kubectl against the real host with the process runtime: a busy-loop
/// pod's cpu, measured by the node agent, shows in <c>kubectl top</c> and drives <c>kubectl autoscale</c>'s HPA.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class AutoscalingTests(ClusterFixture cluster)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private readonly Kubectl kubectl = cluster.Kubectl;

    [Fact]
    public async Task KubectlTopShowsABusyPodAndKubectlAutoscaleScalesItsDeployment()
    {
        var ns = "hpa-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();

        // nice 19: the loop takes only what the shared machine leaves idle.
        (await kubectl.RunAsync($"apply -n {ns} -f -", $$$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: busy
                    image: {{{cluster.TestImage}}}
                    command: [nice, -n, '19', /bin/sh, -c, 'while :; do :; done']
                    resources: {requests: {cpu: 10m}}
            """)).EnsureSuccess();
        Assert.Contains("horizontalpodautoscaler.autoscaling/web autoscaled",
            (await kubectl.RunAsync($"autoscale deployment web -n {ns} --min=1 --max=2 --cpu-percent=50")).EnsureSuccess().Stdout, StringComparison.Ordinal);
        Assert.Matches(@"web\s+Deployment/web\s+cpu: \S+/50%\s+1\s+2\s+\d+\s+\d+s", (await kubectl.RunAsync($"get hpa -n {ns}")).EnsureSuccess().Stdout);

        var top = await Poll.UntilAsync(() => kubectl.RunAsync($"top pods -n {ns} --no-headers"), r => BusyRow().Match(r.Stdout) is { Success: true } m && Milli(m) > 0, Deadline, "a busy pod in kubectl top pods");
        var pod = BusyRow().Match(top.Stdout).Groups["pod"].Value;
        Assert.Matches($@"{pod}\s+busy\s+\d+m\s+\d+(Ki|Mi)", (await kubectl.RunAsync($"top pod {pod} -n {ns} --containers --no-headers")).EnsureSuccess().Stdout);
        Assert.Matches($@"{ns}\s+{pod}\s+\d+m", (await kubectl.RunAsync("top pods -A --no-headers")).EnsureSuccess().Stdout);
        var nodes = await Poll.UntilAsync(() => kubectl.RunAsync("top nodes --no-headers"), r => r.ExitCode == 0 && NodeRow().IsMatch(r.Stdout), Deadline, "a node in kubectl top nodes");
        Assert.Matches(NodeRow(), nodes.Stdout);

        // The pod uses far more than 50% of its 10m request: the HPA goes to its maximum.
        await Poll.UntilAsync(() => kubectl.RunAsync($"get deploy web -n {ns} -o jsonpath={{.spec.replicas}}"), r => r.Stdout.Trim() == "2", Deadline, "the deployment scaled to 2 by the HPA");
        // The new pod has no usage for a sampling period; the HPA's target column shows a figure again after it.
        await Poll.UntilAsync(
            () => kubectl.RunAsync($"get hpa web -n {ns}"),
            r => System.Text.RegularExpressions.Regex.IsMatch(r.Stdout, @"web\s+Deployment/web\s+cpu: \d+%/50%\s+1\s+2\s+\d+"),
            Deadline,
            "the HPA showing its measured usage");
        Assert.Contains("SuccessfulRescale", (await kubectl.RunAsync($"describe hpa web -n {ns}")).EnsureSuccess().Stdout, StringComparison.Ordinal);

        (await kubectl.RunAsync($"delete hpa web -n {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"delete deployment web -n {ns} --timeout=60s", timeout: TimeSpan.FromSeconds(70))).EnsureSuccess();
    }

    private static long Milli(Match row) => long.Parse(row.Groups["cpu"].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(?<pod>web-\S+)\s+(?<cpu>\d+)m\s+\d+(Ki|Mi)")]
    private static partial Regex BusyRow();

    [GeneratedRegex(@"\S+\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%")]
    private static partial Regex NodeRow();
}
