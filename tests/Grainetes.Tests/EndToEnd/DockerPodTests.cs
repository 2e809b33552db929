using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>Pods in real Docker containers: started, logged, limited, deleted without leftovers.</summary>
public sealed class DockerPodTests(DockerClusterFixture docker) : IClassFixture<DockerClusterFixture>
{
    private Kubectl Kubectl => docker.Cluster.Kubectl;

    private async Task<string> NewNamespaceAsync()
    {
        var ns = "d-" + Guid.NewGuid().ToString("N")[..10];
        (await Kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        return ns;
    }

    [SkippableFact]
    public async Task APodRunsInDockerWithItsOwnIPAndLogsAndLeavesNothingBehind()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        var ns = await NewNamespaceAsync();
        (await Kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: boxed}
            spec:
              terminationGracePeriodSeconds: 5
              containers:
              - {name: main, image: grainetes/busybox:test, command: [/bin/sh, -c, 'echo inside $(hostname); exec sleep 3600']}
            """)).EnsureSuccess();
        (await Kubectl.RunAsync($"wait --for=condition=Ready pod/boxed -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100))).EnsureSuccess();
        var pod = JsonNode.Parse((await Kubectl.RunAsync($"get pod boxed -n {ns} -o json")).EnsureSuccess().Stdout)!;
        Assert.StartsWith("docker://", (string?)pod["status"]!["containerStatuses"]![0]!["containerID"]);
        var ip = (string?)pod["status"]!["podIP"];
        Assert.False(string.IsNullOrEmpty(ip));
        Assert.NotEqual((string?)pod["status"]!["hostIP"], ip);
        var logs = await Poll.UntilAsync(() => Kubectl.RunAsync($"logs boxed -n {ns}"), r => r.Stdout.Contains("inside"), what: "logs");
        Assert.StartsWith("inside ", logs.Stdout.Trim());

        (await Kubectl.RunAsync($"delete pod boxed -n {ns} --timeout=60s", timeout: TimeSpan.FromSeconds(70))).EnsureSuccess();
        var leftovers = await RunDockerAsync($"ps -a -q --filter label=io.grainetes.pod.uid={(string?)pod["metadata"]!["uid"]}");
        Assert.Equal("", leftovers.Trim());
    }

    [SkippableFact]
    public async Task AMemoryLimitIsEnforcedAndShowsOOMKilled()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        var ns = await NewNamespaceAsync();
        (await Kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: hungry}
            spec:
              restartPolicy: Never
              containers:
              - name: main
                image: grainetes/busybox:test
                command: [/bin/sh, -c, 'head -c 200m /dev/zero | tail']
                resources: {limits: {memory: 32Mi}}
            """)).EnsureSuccess();
        var pod = await Poll.UntilAsync(
            async () => JsonNode.Parse((await Kubectl.RunAsync($"get pod hungry -n {ns} -o json")).EnsureSuccess().Stdout)!,
            p => (string?)p["status"]?["phase"] == "Failed",
            TimeSpan.FromSeconds(90),
            "the OOM-killed pod to fail");
        Assert.Equal("OOMKilled", (string?)pod["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!["reason"]);
    }

    [SkippableFact]
    public async Task AnImageThatCannotBePulledShowsErrImagePullThenBackOff()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        var ns = await NewNamespaceAsync();

        // A registry on a closed loopback port: the pull fails at once, and no traffic leaves the machine.
        (await Kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: unpullable}
            spec:
              containers: [{name: main, image: '127.0.0.1:1/grainetes/missing:1'}]
            """)).EnsureSuccess();
        var pod = await Poll.UntilAsync(
            async () => JsonNode.Parse((await Kubectl.RunAsync($"get pod unpullable -n {ns} -o json")).EnsureSuccess().Stdout)!,
            p => (string?)p["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"] is "ErrImagePull" or "ImagePullBackOff",
            TimeSpan.FromSeconds(90),
            "an image pull error");
        Assert.Equal("Pending", (string?)pod["status"]!["phase"]);
    }

    [SkippableFact]
    public async Task KubectlTopShowsTheCpuAndMemoryDockerMeasuresForABusyContainer()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        var ns = await NewNamespaceAsync();

        // Docker's cpu limit keeps the loop to a fifth of a core on the shared machine.
        (await Kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: busy}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: grainetes/busybox:test
                command: [/bin/sh, -c, 'while :; do :; done']
                resources: {limits: {cpu: 200m}}
            """)).EnsureSuccess();
        var top = await Poll.UntilAsync(
            () => Kubectl.RunAsync($"top pod busy -n {ns} --containers --no-headers"),
            r => System.Text.RegularExpressions.Regex.Match(r.Stdout, @"busy\s+main\s+(\d+)m\s+\d+(Ki|Mi)") is { Success: true } m && long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0,
            TimeSpan.FromSeconds(90),
            "the busy container's cpu in kubectl top");
        Assert.Matches(@"busy\s+main\s+\d+m", top.Stdout);
        (await Kubectl.RunAsync($"delete pod busy -n {ns} --timeout=60s", timeout: TimeSpan.FromSeconds(70))).EnsureSuccess();
    }

    [SkippableFact]
    public async Task ASecretVolumeIsMountedReadOnlyIntoTheContainer()
    {
        Skip.IfNot(docker.Available, docker.Unavailable);
        var ns = await NewNamespaceAsync();
        (await Kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Secret
            metadata: {name: creds}
            stringData: {password: inside-docker}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: secretive}
            spec:
              terminationGracePeriodSeconds: 1
              volumes: [{name: creds, secret: {secretName: creds, defaultMode: 0400}}]
              containers:
              - name: main
                image: grainetes/busybox:test
                command: [/bin/sh, -c, 'echo "password=$(cat /etc/creds/password) mode=$(stat -L -c %a /etc/creds/password) $(touch /etc/creds/x 2>/dev/null && echo writable || echo read-only)"; exec sleep 3600']
                volumeMounts: [{name: creds, mountPath: /etc/creds}]
            """)).EnsureSuccess();
        var logs = await Poll.UntilAsync(() => Kubectl.RunAsync($"logs secretive -n {ns}"), r => r.Stdout.Contains("password="), TimeSpan.FromSeconds(90), "logs");
        Assert.Equal("password=inside-docker mode=400 read-only", logs.Stdout.Trim());
        (await Kubectl.RunAsync($"delete namespace {ns} --wait=false")).EnsureSuccess();
    }

    private static async Task<string> RunDockerAsync(string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("docker", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
