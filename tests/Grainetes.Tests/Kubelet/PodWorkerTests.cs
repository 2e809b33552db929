using System.Text;
using System.Text.Json.Nodes;
using Grainetes.NodeAgent.Runtime;

namespace Grainetes.Tests.Kubelet;

public sealed class PodWorkerTests
{
    [Fact]
    public async Task InitContainersRunInOrderBeforeTheAppContainers()
    {
        var pod = TestPods.Pod(
            """[{ "name": "app", "image": "nginx:1.27" }]""",
            """ "initContainers": [{ "name": "first", "image": "busybox:1.36" }, { "name": "second", "image": "busybox:1.36" }] """);
        var holdSecond = true;
        await using var h = new WorkerHarness(pod, r => r.ExitOnStart = s => s.ContainerName == "first" ? 0 : null);

        await h.UntilAsync(() => h.Runtime.Starts.Any(s => s.Name == "second"), "second init container started");
        Assert.Equal(["first", "second"], h.Runtime.Starts.Select(s => s.Name));
        await h.UntilAsync(() => h.Phase == "Pending" && h.Condition("Initialized") == "False", "pod pending while initializing");
        Assert.Equal("PodInitializing", (string?)h.ContainerStatus("app")?["state"]?["waiting"]?["reason"]);

        // The app must not start while an init container still runs, however long that takes.
        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.DoesNotContain(h.Runtime.Created, c => c.ContainerName == "app");

        Assert.True(holdSecond);
        h.Runtime.Exit("second", 0);
        await h.UntilAsync(() => h.Phase == "Running" && h.Condition("Ready") == "True", "pod running and ready");
        Assert.Equal(["first", "second", "app"], h.Runtime.Starts.Select(s => s.Name));
        Assert.Equal("True", h.Condition("Initialized"));
        var first = h.ContainerStatus("first", init: true)!;
        Assert.Equal("Completed", (string?)first["state"]!["terminated"]!["reason"]);
        Assert.True(h.Runtime.Created.Single(c => c.ContainerName == "first").IsInit);
    }

    [Fact]
    public async Task FailingInitContainerWithRestartPolicyNeverFailsThePod()
    {
        var pod = TestPods.Pod(
            """[{ "name": "app", "image": "nginx:1.27" }]""",
            """ "initContainers": [{ "name": "migrate", "image": "busybox:1.36" }] """,
            restartPolicy: "Never");
        await using var h = new WorkerHarness(pod, r => r.ExitOnStart = s => s.ContainerName == "migrate" ? 2 : null);

        await h.UntilAsync(() => h.Phase == "Failed", "pod failed");
        Assert.Single(h.Runtime.Starts);
        Assert.DoesNotContain(h.Runtime.Created, c => c.ContainerName == "app");
    }

    [Fact]
    public async Task EnvironmentResolvesConfigMapsSecretsDownwardApiAndExpansion()
    {
        var pod = TestPods.Pod("""
            [{
              "name": "app", "image": "busybox:1.36",
              "command": ["sh", "-c", "echo $(GREETING) $$(literal) $(MISSING)"],
              "args": ["--port=$(PORT)"],
              "workingDir": "/srv",
              "ports": [{ "containerPort": 8080, "hostPort": 18080 }],
              "resources": { "limits": { "cpu": "500m", "memory": "128Mi" }, "requests": { "cpu": "250m" } },
              "volumeMounts": [{ "name": "scratch", "mountPath": "/scratch" }],
              "envFrom": [{ "configMapRef": { "name": "settings" }, "prefix": "CFG_" }],
              "env": [
                { "name": "PORT", "value": "8080" },
                { "name": "GREETING", "valueFrom": { "configMapKeyRef": { "name": "settings", "key": "greeting" } } },
                { "name": "PASSWORD", "valueFrom": { "secretKeyRef": { "name": "creds", "key": "password" } } },
                { "name": "OPTIONAL", "valueFrom": { "configMapKeyRef": { "name": "nowhere", "key": "x", "optional": true } } },
                { "name": "POD_NAME", "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } } },
                { "name": "POD_NAMESPACE", "valueFrom": { "fieldRef": { "fieldPath": "metadata.namespace" } } },
                { "name": "POD_UID", "valueFrom": { "fieldRef": { "fieldPath": "metadata.uid" } } },
                { "name": "NODE", "valueFrom": { "fieldRef": { "fieldPath": "spec.nodeName" } } },
                { "name": "SA", "valueFrom": { "fieldRef": { "fieldPath": "spec.serviceAccountName" } } },
                { "name": "POD_IP", "valueFrom": { "fieldRef": { "fieldPath": "status.podIP" } } },
                { "name": "HOST_IP", "valueFrom": { "fieldRef": { "fieldPath": "status.hostIP" } } },
                { "name": "APP", "valueFrom": { "fieldRef": { "fieldPath": "metadata.labels['app']" } } },
                { "name": "MEM", "valueFrom": { "resourceFieldRef": { "resource": "limits.memory", "divisor": "1Mi" } } },
                { "name": "URL", "value": "http://$(POD_IP):$(PORT)/" }
              ]
            }]
            """, """ "volumes": [{ "name": "scratch", "emptyDir": {} }] """);
        await using var h = new WorkerHarness(pod, hostSetup: host =>
        {
            host.Put("configmaps", "default", "settings", new JsonObject { ["data"] = new JsonObject { ["greeting"] = "hello", ["mode"] = "fast" } });
            host.Put("secrets", "default", "creds", new JsonObject { ["data"] = new JsonObject { ["password"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("s3cret")) } });
        });

        await h.UntilAsync(() => h.Runtime.Created.Count == 1, "container created");
        var spec = h.Runtime.Created[0];
        var env = spec.Environment;
        Assert.Equal("hello", env["GREETING"]);
        Assert.Equal("fast", env["CFG_mode"]);
        Assert.Equal("hello", env["CFG_greeting"]);
        Assert.Equal("s3cret", env["PASSWORD"]);
        Assert.False(env.ContainsKey("OPTIONAL"));
        Assert.Equal("web", env["POD_NAME"]);
        Assert.Equal("default", env["POD_NAMESPACE"]);
        Assert.Equal("uid-1", env["POD_UID"]);
        Assert.Equal("node-1", env["NODE"]);
        Assert.Equal("default", env["SA"]);
        Assert.Equal("10.1.0.5", env["POD_IP"]);
        Assert.Equal("192.168.0.10", env["HOST_IP"]);
        Assert.Equal("shop", env["APP"]);
        Assert.Equal("128", env["MEM"]);
        Assert.Equal("http://10.1.0.5:8080/", env["URL"]);
        Assert.Equal(["sh", "-c", "echo hello $(literal) $(MISSING)"], spec.Command!);
        Assert.Equal(["--port=8080"], spec.Args!);
        Assert.Equal("/srv", spec.WorkingDir);
        Assert.Equal(500, spec.CpuLimitMillis);
        Assert.Equal(250, spec.CpuRequestMillis);
        Assert.Equal(128L * 1024 * 1024, spec.MemoryLimitBytes);
        Assert.Equal(new PortMapping(8080, 18080, "TCP"), Assert.Single(spec.Ports));
        Assert.Equal(new VolumeMount("/var/fake/uid-1/scratch", "/scratch", false), Assert.Single(spec.Mounts));
        Assert.Equal(0, spec.Attempt);
    }

    [Fact]
    public async Task MissingConfigMapKeyIsACreateContainerConfigErrorUntilItAppears()
    {
        var pod = TestPods.Pod("""
            [{ "name": "app", "image": "busybox:1.36",
               "env": [{ "name": "X", "valueFrom": { "configMapKeyRef": { "name": "settings", "key": "x" } } }] }]
            """);
        await using var h = new WorkerHarness(pod, hostSetup: host =>
            host.Put("configmaps", "default", "settings", new JsonObject { ["data"] = new JsonObject { ["y"] = "1" } }));

        await h.UntilAsync(
            () => (string?)h.ContainerStatus("app")?["state"]?["waiting"]?["reason"] == "CreateContainerConfigError",
            "CreateContainerConfigError");
        Assert.Equal("couldn't find key x in ConfigMap default/settings", (string?)h.ContainerStatus("app")!["state"]!["waiting"]!["message"]);
        Assert.Empty(h.Runtime.Created);
        Assert.Equal("Pending", h.Phase);
        Assert.Single(h.Host.Events, e => e is { Reason: "Failed", Message: "Error: couldn't find key x in ConfigMap default/settings" });

        h.Host.Put("configmaps", "default", "settings", new JsonObject { ["data"] = new JsonObject { ["x"] = "42" } });
        await h.UntilAsync(() => h.Phase == "Running", "running once the key exists");
        Assert.Equal("42", h.Runtime.Created.Single().Environment["X"]);
    }

    [Fact]
    public async Task CrashingContainerRestartsWithExponentialBackOff()
    {
        await using var h = new WorkerHarness(TestPods.Simple(), r => r.ExitOnStart = _ => 1);

        await h.UntilAsync(() => h.Runtime.Starts.Count >= 4, "four starts");
        var starts = h.Runtime.Starts;
        Assert.Equal([0, 1, 2, 3], starts.Select(s => s.Attempt).Take(4));
        // As the kubelet: the first exit restarts at once, then 10 s, 20 s, ...
        Assert.True(starts[1].At - starts[0].At < TimeSpan.FromSeconds(2));
        Assert.True(starts[2].At - starts[1].At >= TimeSpan.FromSeconds(10));
        Assert.True(starts[3].At - starts[2].At >= TimeSpan.FromSeconds(20));
        Assert.True(starts[3].At - starts[2].At < TimeSpan.FromSeconds(22));

        await h.UntilAsync(
            () => (string?)h.ContainerStatus("app")?["state"]?["waiting"]?["reason"] == "CrashLoopBackOff",
            "CrashLoopBackOff");
        var status = h.ContainerStatus("app")!;
        Assert.Equal(3, (int)status["restartCount"]!);
        Assert.Equal(1, (int)status["lastState"]!["terminated"]!["exitCode"]!);
        Assert.Equal("Error", (string?)status["lastState"]!["terminated"]!["reason"]);
        Assert.False((bool)status["ready"]!);
        Assert.Equal("Running", h.Phase);
        Assert.Contains(h.Host.Events, e => e.Reason == "BackOff" && e.FieldPath == "spec.containers{app}");

        // Only the current instance and the one before it are kept.
        Assert.True(h.Runtime.All.Count <= 2);
        var latest = h.Runtime.Latest("app")!;
        Assert.Equal(latest.ContainerId, h.Worker.FindContainerId("app", previous: true));
    }

    [Fact]
    public async Task BackOffResetsAfterALongRun()
    {
        var crash = true;
        await using var h = new WorkerHarness(TestPods.Simple(), r => r.ExitOnStart = _ => crash ? 1 : null);
        await h.UntilAsync(() => h.Runtime.Starts.Count >= 3, "three starts");
        crash = false;
        await h.UntilAsync(() => h.Runtime.Latest("app")?.Status == ContainerStatus.Running, "running");
        await h.JumpAsync(TimeSpan.FromMinutes(11));
        var before = h.Runtime.Starts.Count;
        h.Runtime.Exit("app", 1);
        var exitedAt = h.Time.GetUtcNow();
        await h.UntilAsync(() => h.Runtime.Starts.Count > before, "restarted");
        // The back-off starts over: no delay at all, as for a first exit.
        Assert.True(h.Runtime.Starts[^1].At - exitedAt < TimeSpan.FromSeconds(2));
    }

    [Theory]
    [InlineData("Never", 0, "Succeeded")]
    [InlineData("Never", 3, "Failed")]
    [InlineData("OnFailure", 0, "Succeeded")]
    public async Task CompletedContainersEndThePod(string restartPolicy, int exitCode, string phase)
    {
        await using var h = new WorkerHarness(TestPods.Simple(restartPolicy));
        await h.UntilAsync(() => h.Phase == "Running", "running");
        h.Runtime.Exit("app", exitCode);
        await h.UntilAsync(() => h.Phase == phase, phase);
        Assert.Single(h.Runtime.Starts);
        var terminated = h.ContainerStatus("app")!["state"]!["terminated"]!;
        Assert.Equal(exitCode, (int)terminated["exitCode"]!);
        Assert.Equal("False", h.Condition("Ready"));

        // A terminal pod stays terminal: nothing restarts however long it waits.
        await h.JumpAsync(TimeSpan.FromMinutes(5));
        Assert.Single(h.Runtime.Starts);
    }

    [Fact]
    public async Task OnFailureRestartsAFailedContainerUntilItSucceeds()
    {
        await using var h = new WorkerHarness(TestPods.Simple("OnFailure"));
        await h.UntilAsync(() => h.Phase == "Running", "running");
        h.Runtime.Exit("app", 1);
        await h.UntilAsync(() => h.Runtime.Starts.Count == 2, "restarted");
        Assert.Equal("Running", h.Phase);
        await h.UntilAsync(() => h.Runtime.Latest("app")?.Status == ContainerStatus.Running, "second instance running");
        h.Runtime.Exit("app", 0);
        await h.UntilAsync(() => h.Phase == "Succeeded", "succeeded");
        Assert.Equal(1, (int)h.ContainerStatus("app")!["restartCount"]!);
    }

    [Fact]
    public async Task FailingLivenessProbeKillsAndRestartsTheContainer()
    {
        var pod = TestPods.Pod("""
            [{ "name": "app", "image": "busybox:1.36",
               "livenessProbe": { "exec": { "command": ["check"] }, "periodSeconds": 5, "failureThreshold": 2 } }]
            """);
        var healthy = true;
        await using var h = new WorkerHarness(pod, r => r.Exec = (_, _) => new ExecResult(healthy ? 0 : 1, healthy ? "" : "sick", false));
        await h.UntilAsync(() => h.Condition("Ready") == "True", "ready");
        await h.AdvanceAsync(TimeSpan.FromSeconds(20));
        Assert.Single(h.Runtime.Starts);

        healthy = false;
        await h.UntilAsync(() => h.Runtime.Stops.Count == 1, "killed");
        Assert.Contains(h.Host.Events, e => e.Reason == "Unhealthy" && e.Message.StartsWith("Liveness probe failed", StringComparison.Ordinal));
        Assert.Contains(h.Host.Events, e => e.Reason == "Killing" && e.Message == "Container app failed liveness probe, will be restarted");
        Assert.Equal(TimeSpan.FromSeconds(30), h.Runtime.Stops[0].Grace);

        healthy = true;
        await h.UntilAsync(() => h.Runtime.Starts.Count == 2 && h.Condition("Ready") == "True", "restarted and ready");
        Assert.Equal(1, (int)h.ContainerStatus("app")!["restartCount"]!);
        Assert.Equal(143, (int)h.ContainerStatus("app")!["lastState"]!["terminated"]!["exitCode"]!);
    }

    [Fact]
    public async Task StartupProbeHoldsBackReadinessAndKillsPastItsThreshold()
    {
        var pod = TestPods.Pod("""
            [{ "name": "app", "image": "busybox:1.36",
               "startupProbe": { "exec": { "command": ["started"] }, "periodSeconds": 1, "failureThreshold": 3 } }]
            """);
        await using var h = new WorkerHarness(pod, r => r.Exec = (_, _) => new ExecResult(1, "not yet", false));
        await h.UntilAsync(() => h.Runtime.Stops.Count == 1, "killed by the startup probe");
        Assert.Contains(h.Host.Events, e => e.Message == "Container app failed startup probe, will be restarted");
        Assert.DoesNotContain(h.Host.Statuses, s => s["conditions"]!.AsArray().Any(c => (string?)c!["type"] == "Ready" && (string?)c["status"] == "True"));
    }

    [Fact]
    public async Task ReadinessProbeDrivesTheReadyCondition()
    {
        var pod = TestPods.Pod("""
            [{ "name": "app", "image": "busybox:1.36",
               "readinessProbe": { "exec": { "command": ["ready"] }, "periodSeconds": 2, "failureThreshold": 2, "successThreshold": 1 } }]
            """);
        var ready = true;
        await using var h = new WorkerHarness(pod, r => r.Exec = (_, _) => new ExecResult(ready ? 0 : 1, "", false));

        await h.UntilAsync(() => h.Condition("Ready") == "True" && h.Condition("ContainersReady") == "True", "ready");
        Assert.True((bool)h.ContainerStatus("app")!["ready"]!);
        var readySince = ConditionTime(h, "Ready");

        await h.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(readySince, ConditionTime(h, "Ready"));

        ready = false;
        await h.UntilAsync(() => h.Condition("Ready") == "False", "not ready");
        Assert.False((bool)h.ContainerStatus("app")!["ready"]!);
        Assert.NotEqual(readySince, ConditionTime(h, "Ready"));
        Assert.Equal("ContainersNotReady", (string?)Cond(h, "Ready")!["reason"]);
        Assert.Single(h.Runtime.Starts);

        ready = true;
        await h.UntilAsync(() => h.Condition("Ready") == "True", "ready again");
    }

    [Fact]
    public async Task GracefulDeletionStopsWithTheGracePeriodThenReportsTheEnd()
    {
        var pod = TestPods.Pod("""[{ "name": "app", "image": "busybox:1.36" }, { "name": "side", "image": "busybox:1.36" }]""");
        await using var h = new WorkerHarness(pod);
        await h.UntilAsync(() => h.Phase == "Running" && h.Condition("Ready") == "True", "running");

        h.Worker.Update(TestPods.Deleting(pod, 7));
        await h.Host.Terminated.WaitAsync(TimeSpan.FromSeconds(10));
        await h.Run.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, h.Runtime.Stops.Count);
        Assert.All(h.Runtime.Stops, s => Assert.Equal(TimeSpan.FromSeconds(7), s.Grace));
        Assert.Empty(h.Runtime.All);
        Assert.Equal(1, h.Runtime.SandboxRemovals);
        Assert.Equal(1, h.Host.TerminatedCount);
        Assert.Equal(2, h.Host.Events.Count(e => e.Reason == "Killing" && e.Message.StartsWith("Stopping container", StringComparison.Ordinal)));
        Assert.Equal("Failed", h.Phase);
        Assert.Equal(143, (int)h.ContainerStatus("app")!["state"]!["terminated"]!["exitCode"]!);
    }

    [Fact]
    public async Task DeletionUsesTheSpecGracePeriodWhenTheDeletionNamesNone()
    {
        var pod = TestPods.Simple(extra: """ "terminationGracePeriodSeconds": 12 """);
        await using var h = new WorkerHarness(pod);
        await h.UntilAsync(() => h.Phase == "Running", "running");
        h.Worker.Update(TestPods.Deleting(pod, null));
        await h.Run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(12), Assert.Single(h.Runtime.Stops).Grace);
    }

    [Fact]
    public async Task ExistingContainersAreAdoptedNotStartedAgain()
    {
        var started = new DateTimeOffset(2025, 12, 31, 23, 0, 0, TimeSpan.Zero);
        await using var h = new WorkerHarness(TestPods.Simple(), r =>
        {
            r.Seed(Existing("old-1", 1, ContainerStatus.Exited, started.AddMinutes(-10)) with { ExitCode = 1, FinishedAt = started.AddMinutes(-1) });
            r.Seed(Existing("old-0", 0, ContainerStatus.Exited, started.AddMinutes(-20)) with { ExitCode = 1, FinishedAt = started.AddMinutes(-11) });
            r.Seed(Existing("live-2", 2, ContainerStatus.Running, started));
            r.Seed(Existing("other", 0, ContainerStatus.Running, started) with { PodUid = "someone-else" });
        });

        await h.UntilAsync(() => h.Phase == "Running" && h.Condition("Ready") == "True", "running");
        await h.AdvanceAsync(TimeSpan.FromSeconds(30));

        Assert.Empty(h.Runtime.Created);
        Assert.Empty(h.Runtime.Starts);
        Assert.Equal(["old-0"], h.Runtime.Removed);
        var status = h.ContainerStatus("app")!;
        Assert.Equal(2, (int)status["restartCount"]!);
        Assert.Equal("fake://live-2", (string?)status["containerID"]);
        Assert.Equal("fake://old-1", (string?)status["lastState"]!["terminated"]!["containerID"]);
        Assert.Equal("live-2", h.Worker.FindContainerId("app"));
        Assert.Equal("old-1", h.Worker.FindContainerId("app", previous: true));
        Assert.Contains(h.Runtime.All, c => c.ContainerId == "other");

        static ContainerState Existing(string id, int attempt, ContainerStatus status, DateTimeOffset startedAt) => new()
        {
            ContainerId = id,
            PodUid = "uid-1",
            Namespace = "default",
            PodName = "web",
            ContainerName = "app",
            Attempt = attempt,
            Image = "busybox:1.36",
            Status = status,
            StartedAt = startedAt,
        };
    }

    [Fact]
    public async Task ImagePullFailureShowsErrImagePullThenImagePullBackOff()
    {
        await using var h = new WorkerHarness(TestPods.Simple(), r => r.FailImage("busybox:1.36"));

        await h.UntilAsync(() => h.Host.Statuses.Any(s => WaitingReason(s) == "ErrImagePull"), "ErrImagePull");
        await h.UntilAsync(() => WaitingReason(h.Status) == "ImagePullBackOff", "ImagePullBackOff");
        Assert.Contains(h.Host.Events, e => e.Reason == "Failed" && e.Message.StartsWith("Failed to pull image \"busybox:1.36\"", StringComparison.Ordinal));
        Assert.Contains(h.Host.Events, e => e.Reason == "BackOff" && e.Message == "Back-off pulling image \"busybox:1.36\"");
        Assert.Equal("Pending", h.Phase);
        Assert.Single(h.Runtime.Pulls);

        await h.UntilAsync(() => h.Runtime.Pulls.Count == 2, "pull retried after back-off");
        h.Runtime.FailImage("busybox:1.36", fail: false);
        await h.UntilAsync(() => h.Phase == "Running", "running once the image can be pulled");
        Assert.Contains(h.Host.Events, e => e.Reason == "Pulled" && e.Message == "Container image \"busybox:1.36\" already present on machine");
    }

    [Fact]
    public async Task EventsAndStatusShapeOfARunningPod()
    {
        var pod = TestPods.Pod("""[{ "name": "app", "image": "busybox:1.36", "resources": { "limits": { "cpu": "1", "memory": "64Mi" } } }]""");
        await using var h = new WorkerHarness(pod);
        await h.UntilAsync(() => h.Condition("Ready") == "True", "ready");

        Assert.Equal(["Pulled", "Created", "Started"], h.Host.Events.Select(e => e.Reason));
        Assert.All(h.Host.Events, e => Assert.Equal("spec.containers{app}", e.FieldPath));
        var status = h.Status!;
        Assert.Equal("Running", (string?)status["phase"]);
        Assert.Equal("10.1.0.5", (string?)status["podIP"]);
        Assert.Equal("10.1.0.5", (string?)status["podIPs"]![0]!["ip"]);
        Assert.Equal("192.168.0.10", (string?)status["hostIP"]);
        Assert.Equal("Guaranteed", (string?)status["qosClass"]);
        Assert.Equal("2026-01-01T00:00:00Z", (string?)status["startTime"]);
        Assert.Equal(
            ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"],
            status["conditions"]!.AsArray().Select(c => (string?)c!["type"]));
        var app = h.ContainerStatus("app")!;
        Assert.NotNull(app["state"]!["running"]!["startedAt"]);
        Assert.Equal("fake://" + h.Runtime.Latest("app")!.ContainerId, (string?)app["containerID"]);
        Assert.Equal("sha256:busybox:1.36", (string?)app["imageID"]);
        Assert.Equal("busybox:1.36", (string?)app["image"]);
        Assert.True((bool)app["started"]!);
        Assert.Equal(0, (int)app["restartCount"]!);
        Assert.Empty(app["lastState"]!.AsObject());

        // Nothing changes, so nothing more is reported.
        var reports = h.Host.Statuses.Count;
        await h.AdvanceAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(reports, h.Host.Statuses.Count);
    }

    [Fact]
    public async Task ChangedImageRestartsTheContainerWithIt()
    {
        var pod = TestPods.Simple();
        await using var h = new WorkerHarness(pod);
        await h.UntilAsync(() => h.Phase == "Running", "running");
        var updated = (JsonObject)pod.DeepClone();
        updated["spec"]!["containers"]![0]!["image"] = "busybox:1.37";
        h.Worker.Update(updated);
        await h.UntilAsync(() => h.Runtime.Latest("app") is { Image: "busybox:1.37", Status: ContainerStatus.Running }, "new image running");
        Assert.Contains(h.Host.Events, e => e.Reason == "Killing" && e.Message.Contains("definition changed", StringComparison.Ordinal));
    }

    private static string? WaitingReason(JsonObject? status) =>
        (string?)status?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"];

    private static JsonObject? Cond(WorkerHarness h, string type) =>
        h.Status?["conditions"]?.AsArray().OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);

    private static string? ConditionTime(WorkerHarness h, string type) => (string?)Cond(h, type)?["lastTransitionTime"];
}
