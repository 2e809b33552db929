using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>
/// Secret and ConfigMap volumes through kubectl on the process runtime: the pod waits with <c>FailedMount</c> until its
/// Secret exists, then reads both volumes' files (items at their paths, with their modes, stringData folded in), sees
/// an update of the Secret in the file, and its volume directories go with it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SecretVolumeKubectlTests(ClusterFixture cluster)
{
    private readonly Kubectl kubectl = cluster.Kubectl;

    [Fact]
    public async Task APodWaitsForItsSecretThenReadsSecretAndConfigMapFilesAndSeesUpdates()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var ns = "sv-" + id;
        var mount = $"/tmp/grainetes-test-{ns}";
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {greeting: hello, ignored: 'not listed'}
            """)).EnsureSuccess();
        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: reader}
            spec:
              terminationGracePeriodSeconds: 1
              volumes:
              - {name: creds, secret: {secretName: creds}}
              - {name: settings, configMap: {name: settings, items: [{key: greeting, path: conf/greeting.txt, mode: 0600}]}}
              containers:
              - name: main
                image: IMAGE
                command: [/bin/sh, -c, 'echo "password=$(cat MOUNT/creds/password) greeting=$(cat MOUNT/settings/conf/greeting.txt) mode=$(stat -L -c %a MOUNT/settings/conf/greeting.txt) listed=$(ls MOUNT/settings)"; exec sleep 3600']
                volumeMounts:
                - {name: creds, mountPath: MOUNT/creds}
                - {name: settings, mountPath: MOUNT/settings}
            """.Replace("IMAGE", cluster.TestImage).Replace("MOUNT", mount))).EnsureSuccess();

        var described = await Poll.UntilAsync(
            () => kubectl.RunAsync($"describe pod reader -n {ns}"),
            r => r.Stdout.Contains("FailedMount"),
            TimeSpan.FromSeconds(120),
            "the FailedMount event");
        Assert.Contains("MountVolume.SetUp failed for volume \"creds\" : secret \"creds\" not found", described.Stdout);
        var waiting = await PodAsync(ns);
        Assert.Equal("ContainerCreating", (string?)waiting["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"]);

        (await kubectl.RunAsync($"apply -n {ns} -f -", Secret($"first-{id}"))).EnsureSuccess();
        var logs = await Poll.UntilAsync(
            () => kubectl.RunAsync($"logs reader -n {ns}"),
            r => r.Stdout.Contains("password="),
            TimeSpan.FromSeconds(120),
            "the pod's log line");
        Assert.Equal($"password=first-{id} greeting=hello mode=600 listed=conf", logs.Stdout.Trim());

        // An update of the Secret reaches the file in the running pod.
        (await kubectl.RunAsync($"apply -n {ns} -f -", Secret($"second-{id}"))).EnsureSuccess();
        await Poll.UntilAsync(
            () => kubectl.RunAsync($"exec reader -n {ns} -- cat {mount}/creds/password"),
            r => r.ExitCode == 0 && r.Stdout == $"second-{id}",
            TimeSpan.FromSeconds(120),
            "the updated secret in the file");

        // The volume's directory goes with the pod.
        var directory = new FileInfo($"{mount}/creds").LinkTarget;
        Assert.NotNull(directory);
        Assert.True(Directory.Exists(directory));
        (await kubectl.RunAsync($"delete pod reader -n {ns} --timeout=60s", timeout: TimeSpan.FromSeconds(70))).EnsureSuccess();
        Assert.False(Directory.Exists(directory));
        (await kubectl.RunAsync($"delete namespace {ns} --wait=false")).EnsureSuccess();
    }

    private static string Secret(string password) => $$"""
        apiVersion: v1
        kind: Secret
        metadata: {name: creds}
        stringData: {password: {{password}}}
        """;

    private async Task<JsonObject> PodAsync(string ns) =>
        JsonNode.Parse((await kubectl.RunAsync($"get pod reader -n {ns} -o json")).EnsureSuccess().Stdout)!.AsObject();
}
