using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>Pods run for real on the host's node agent: scheduling, containers, status, logs, deletion.</summary>
[Collection(ClusterCollection.Name)]
public sealed class PodTests(ClusterFixture cluster)
{
    private readonly Kubectl kubectl = cluster.Kubectl;

    private async Task<string> NewNamespaceAsync()
    {
        var ns = "p-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        return ns;
    }

    private async Task<JsonObject> PodAsync(string ns, string name) =>
        JsonNode.Parse((await kubectl.RunAsync($"get pod {name} -n {ns} -o json")).EnsureSuccess().Stdout)!.AsObject();

    private Task<JsonObject> WaitForPodAsync(string ns, string name, Func<JsonObject, bool> done, string what, int seconds = 60) =>
        Poll.UntilAsync(() => PodAsync(ns, name), done, TimeSpan.FromSeconds(seconds), what);

    [Fact]
    public async Task APodIsScheduledStartedAndItsLogsAreReadable()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: hello}
            spec:
              containers:
              - name: main
                image: IMAGE
                command: [/bin/sh, -c, 'echo "hello from $(POD_NAME) in $(POD_NAMESPACE)"; echo second; exec sleep 3600']
                env:
                - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                - {name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
            """.Replace("IMAGE", cluster.TestImage))).EnsureSuccess();
        (await kubectl.RunAsync($"wait --for=condition=Ready pod/hello -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100))).EnsureSuccess();
        var pod = await PodAsync(ns, "hello");
        Assert.Equal("Running", (string?)pod["status"]!["phase"]);
        Assert.False(string.IsNullOrEmpty((string?)pod["spec"]!["nodeName"]));
        Assert.False(string.IsNullOrEmpty((string?)pod["status"]!["podIP"]));
        Assert.NotNull(pod["status"]!["startTime"]);
        var status = pod["status"]!["containerStatuses"]![0]!;
        Assert.True((bool)status["ready"]!);
        Assert.NotNull(status["state"]!["running"]);
        Assert.False(string.IsNullOrEmpty((string?)status["containerID"]));

        var logs = await Poll.UntilAsync(() => kubectl.RunAsync($"logs hello -n {ns}"), r => r.Stdout.Contains("second"), what: "logs");
        Assert.Contains($"hello from hello in {ns}", logs.Stdout);
        Assert.Equal("second", (await kubectl.RunAsync($"logs hello -n {ns} --tail=1")).EnsureSuccess().Stdout.Trim());

        var described = (await kubectl.RunAsync($"describe pod hello -n {ns}")).EnsureSuccess().Stdout;
        Assert.Contains("Scheduled", described);
        Assert.Contains("Started", described);
    }

    [Fact]
    public async Task AReadinessProbeDecidesWhenThePodIsReadyAndLogsFollow()
    {
        var ns = await NewNamespaceAsync();
        var flag = $"/tmp/grainetes-ready-{ns}";
        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: probed}
            spec:
              containers:
              - name: main
                image: IMAGE
                command: [/bin/sh, -c, 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done']
                readinessProbe: {exec: {command: [/bin/sh, -c, 'test -f FLAG']}, periodSeconds: 1}
            """.Replace("IMAGE", cluster.TestImage).Replace("FLAG", flag))).EnsureSuccess();
        var running = await WaitForPodAsync(ns, "probed", p => (string?)p["status"]?["phase"] == "Running", "Running");
        Assert.Equal(false, (bool?)running["status"]!["containerStatuses"]![0]!["ready"]);

        using (var follow = kubectl.Start($"logs -f probed -n {ns}"))
        {
            var first = await follow.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var later = await follow.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            follow.Kill();
            Assert.StartsWith("tick ", first);
            Assert.StartsWith("tick ", later);
        }

        try
        {
            // The process runtime runs containers on the host, so the flag is a host file; Docker sees its own.
            if (cluster.Runtime == "process")
            {
                await File.WriteAllTextAsync(flag, "ready");
            }
            else
            {
                (await kubectl.RunAsync($"exec probed -n {ns} -- touch {flag}")).EnsureSuccess();
            }

            await WaitForPodAsync(ns, "probed",
                p => p["status"]?["conditions"]?.AsArray().Any(c => (string?)c?["type"] == "Ready" && (string?)c?["status"] == "True") == true,
                "Ready after the probe passes");
        }
        finally
        {
            File.Delete(flag);
        }
    }

    [Fact]
    public async Task DeletingAPodStopsItsContainersGracefullyThenRemovesIt()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: graceful}
            spec:
              terminationGracePeriodSeconds: 20
              containers:
              - name: main
                image: IMAGE
                command: [/bin/sh, -c, 'trap "echo got-term; exit 0" TERM; while true; do sleep 1; done']
            """.Replace("IMAGE", cluster.TestImage))).EnsureSuccess();
        (await kubectl.RunAsync($"wait --for=condition=Ready pod/graceful -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100))).EnsureSuccess();
        (await kubectl.RunAsync($"delete pod graceful -n {ns} --timeout=60s", timeout: TimeSpan.FromSeconds(70))).EnsureSuccess();
        Assert.Contains("NotFound", (await kubectl.RunAsync($"get pod graceful -n {ns}")).Stderr);
    }

    [Fact]
    public async Task RestartPoliciesDecideTheFinalPhase()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: fails}
            spec:
              restartPolicy: Never
              containers: [{name: main, image: IMAGE, command: [/bin/sh, -c, 'exit 3']}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: succeeds}
            spec:
              restartPolicy: OnFailure
              containers: [{name: main, image: IMAGE, command: [/bin/sh, -c, 'exit 0']}]
            """.Replace("IMAGE", cluster.TestImage))).EnsureSuccess();
        var failed = await WaitForPodAsync(ns, "fails", p => (string?)p["status"]?["phase"] == "Failed", "Failed phase");
        Assert.Equal(3, (int)failed["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!["exitCode"]!);
        await WaitForPodAsync(ns, "succeeds", p => (string?)p["status"]?["phase"] == "Succeeded", "Succeeded phase");
    }

    [Fact]
    public async Task ACrashingContainerIsRestartedWithBackOff()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: crash}
            spec:
              containers: [{name: main, image: IMAGE, command: [/bin/sh, -c, 'echo attempt; exit 1']}]
            """.Replace("IMAGE", cluster.TestImage))).EnsureSuccess();
        var pod = await WaitForPodAsync(ns, "crash",
            p => (int?)p["status"]?["containerStatuses"]?[0]?["restartCount"] >= 1
                 && (string?)p["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"] == "CrashLoopBackOff",
            "CrashLoopBackOff after a restart", 90);
        Assert.Equal(1, (int)pod["status"]!["containerStatuses"]![0]!["lastState"]!["terminated"]!["exitCode"]!);
        Assert.Contains("attempt", (await kubectl.RunAsync($"logs crash -n {ns} --previous")).EnsureSuccess().Stdout);
        Assert.Contains("CrashLoopBackOff", (await kubectl.RunAsync($"get pod crash -n {ns}")).EnsureSuccess().Stdout);
    }

    [Fact]
    public async Task InitContainersRunFirstAndShareAnEmptyDirWithTheApp()
    {
        var ns = await NewNamespaceAsync();
        // A path of its own: the process runtime links mounts at the same path on the host.
        var mount = $"/tmp/grainetes-test-{ns}";
        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: init}
            spec:
              volumes: [{name: shared, emptyDir: {}}]
              initContainers:
              - {name: first, image: IMAGE, command: [/bin/sh, -c, 'echo one > MOUNT/order'], volumeMounts: [{name: shared, mountPath: MOUNT}]}
              - {name: second, image: IMAGE, command: [/bin/sh, -c, 'echo two >> MOUNT/order'], volumeMounts: [{name: shared, mountPath: MOUNT}]}
              containers:
              - {name: app, image: IMAGE, command: [/bin/sh, -c, 'cat MOUNT/order; exec sleep 3600'], volumeMounts: [{name: shared, mountPath: MOUNT}]}
            """.Replace("IMAGE", cluster.TestImage).Replace("MOUNT", mount))).EnsureSuccess();
        (await kubectl.RunAsync($"wait --for=condition=Ready pod/init -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100))).EnsureSuccess();
        var logs = await Poll.UntilAsync(() => kubectl.RunAsync($"logs init -n {ns} -c app"), r => r.Stdout.Contains("two"), what: "app logs");
        Assert.Equal("one\ntwo", logs.Stdout.Trim());
        var pod = await PodAsync(ns, "init");
        Assert.All(pod["status"]!["initContainerStatuses"]!.AsArray(), s => Assert.Equal(0, (int)s!["state"]!["terminated"]!["exitCode"]!));
    }

    [Fact]
    public async Task APodThatFitsNowhereStaysPendingWithTheReason()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: huge}
            spec:
              containers: [{name: main, image: IMAGE, command: [sleep, '3600'], resources: {requests: {cpu: '500'}}}]
            """.Replace("IMAGE", cluster.TestImage))).EnsureSuccess();
        var pod = await WaitForPodAsync(ns, "huge",
            p => p["status"]?["conditions"]?.AsArray().Any(c => (string?)c?["type"] == "PodScheduled" && (string?)c?["status"] == "False") == true,
            "PodScheduled=False");
        Assert.Equal("Pending", (string?)pod["status"]!["phase"]);
        var described = await Poll.UntilAsync(() => kubectl.RunAsync($"describe pod huge -n {ns}"), r => r.Stdout.Contains("FailedScheduling"), what: "FailedScheduling event");
        Assert.Contains("Insufficient cpu", described.Stdout);
    }

    [Fact]
    public async Task TheNodeKeepsALeaseAndShowsItsPods()
    {
        var node = (await kubectl.RunAsync("get nodes -o jsonpath={.items[0].metadata.name}")).EnsureSuccess().Stdout;
        var lease = JsonNode.Parse((await kubectl.RunAsync($"get lease {node} -n kube-node-lease -o json")).EnsureSuccess().Stdout)!;
        Assert.Equal(node, (string?)lease["spec"]!["holderIdentity"]);
        var renewed = DateTimeOffset.Parse((string)lease["spec"]!["renewTime"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(DateTimeOffset.UtcNow - renewed < TimeSpan.FromSeconds(40));
        var described = (await kubectl.RunAsync($"describe node {node}")).EnsureSuccess().Stdout;
        Assert.Contains("Non-terminated Pods:", described);
        Assert.Matches(@"Container Runtime Version:\s+(docker|process)://", described);
    }
}
