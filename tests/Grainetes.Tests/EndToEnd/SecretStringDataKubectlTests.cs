using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>
/// A Secret's <c>stringData</c> through kubectl's write paths (apply, re-apply, server-side apply, merge and JSON
/// patches): it lands in <c>data</c> as base64, is never stored or returned itself, and a pod reads the value. Its
/// type, and once it is immutable its data, cannot change.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SecretStringDataKubectlTests(ClusterFixture cluster)
{
    private readonly Kubectl kubectl = cluster.Kubectl;

    [Fact]
    public async Task StringDataIsFoldedIntoDataOnEveryWriteAndAPodReadsTheValue()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var ns = "sd-" + id;
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();

        (await kubectl.RunAsync($"apply -n {ns} -f -", Manifest($"first-{id}"))).EnsureSuccess();
        var secret = await SecretAsync(ns);
        Assert.Null(secret["stringData"]);
        Assert.Equal("Opaque", (string?)secret["type"]);
        Assert.Equal(B64($"first-{id}"), (string?)secret["data"]!["password"]);
        Assert.Equal(B64("from-string"), (string?)secret["data"]!["both"]);
        Assert.Equal(B64("kept"), (string?)secret["data"]!["plain"]);

        // Client-side apply again: kubectl sends a strategic merge patch with the changed stringData.
        (await kubectl.RunAsync($"apply -n {ns} -f -", Manifest($"second-{id}"))).EnsureSuccess();
        Assert.Equal(B64($"second-{id}"), (string?)(await SecretAsync(ns))["data"]!["password"]);

        (await kubectl.RunAsync($"apply --server-side --force-conflicts -n {ns} -f -", Manifest($"third-{id}"))).EnsureSuccess();
        (await kubectl.RunAsync($"patch secret creds -n {ns} --type merge -p '{{\"stringData\":{{\"merged\":\"m\"}}}}'")).EnsureSuccess();
        (await kubectl.RunAsync($"patch secret creds -n {ns} --type json -p '[{{\"op\":\"add\",\"path\":\"/stringData\",\"value\":{{\"json\":\"j\"}}}}]'")).EnsureSuccess();
        secret = await SecretAsync(ns);
        Assert.Null(secret["stringData"]);
        Assert.Equal(B64($"third-{id}"), (string?)secret["data"]!["password"]);
        Assert.Equal(B64("m"), (string?)secret["data"]!["merged"]);
        Assert.Equal(B64("j"), (string?)secret["data"]!["json"]);

        // Data that is not base64 is refused (400) and nothing changes.
        var version = (string?)secret["metadata"]!["resourceVersion"];
        var bad = await kubectl.RunAsync($"patch secret creds -n {ns} --type merge -p '{{\"data\":{{\"bad\":\"not*base64\"}}}}'");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("illegal base64", bad.Stderr);
        Assert.Equal(version, (string?)(await SecretAsync(ns))["metadata"]!["resourceVersion"]);

        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: reader}
            spec:
              restartPolicy: Never
              containers:
              - name: main
                image: IMAGE
                command: [/bin/sh, -c, 'echo "password=$PASSWORD both=$BOTH"; exec sleep 3600']
                env:
                - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
                - {name: BOTH, valueFrom: {secretKeyRef: {name: creds, key: both}}}
            """.Replace("IMAGE", cluster.TestImage))).EnsureSuccess();
        var logs = await Poll.UntilAsync(
            () => kubectl.RunAsync($"logs reader -n {ns}"),
            r => r.Stdout.Contains("password="),
            TimeSpan.FromSeconds(120),
            "the pod's log line");
        Assert.Contains($"password=third-{id} both=from-string", logs.Stdout);

        // Its type never changes; once immutable, neither its data nor the flag does.
        var retyped = await kubectl.RunAsync($"patch secret creds -n {ns} --type merge -p '{{\"type\":\"kubernetes.io/basic-auth\"}}'");
        Assert.NotEqual(0, retyped.ExitCode);
        Assert.Contains("field is immutable", retyped.Stderr);
        (await kubectl.RunAsync($"patch secret creds -n {ns} --type merge -p '{{\"immutable\":true}}'")).EnsureSuccess();
        var frozen = await kubectl.RunAsync($"apply -n {ns} -f -", Manifest($"fourth-{id}"));
        Assert.NotEqual(0, frozen.ExitCode);
        Assert.Contains("field is immutable when `immutable` is set", frozen.Stderr);
        Assert.Equal(B64($"third-{id}"), (string?)(await SecretAsync(ns))["data"]!["password"]);
    }

    private static string Manifest(string password) => $$"""
        apiVersion: v1
        kind: Secret
        metadata: {name: creds}
        data:
          both: {{B64("from-data")}}
          plain: {{B64("kept")}}
        stringData:
          password: {{password}}
          both: from-string
        """;

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private async Task<JsonObject> SecretAsync(string ns) =>
        JsonNode.Parse((await kubectl.RunAsync($"get secret creds -n {ns} -o json")).EnsureSuccess().Stdout)!.AsObject();
}
