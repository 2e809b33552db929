using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>ResourceQuota and LimitRange admission through real kubectl (and raw HTTP for the concurrent burst).</summary>
[Collection(ClusterCollection.Name)]
public sealed class QuotaTests(ClusterFixture cluster)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly Kubectl kubectl = cluster.Kubectl;

    private async Task<string> NewNamespaceAsync()
    {
        var ns = "q-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        return ns;
    }

    private static string Pod(string name, string resources = "") => $$"""
        apiVersion: v1
        kind: Pod
        metadata: {name: {{name}}}
        spec:
          containers:
          - name: app
            image: busybox:1.36
            command: [/bin/sh, -c, 'exec sleep 3600']
        {{(resources.Length == 0 ? "" : "    resources: " + resources)}}
        """;

    private Task<CommandResult> CreatePodAsync(string ns, string name, string resources = "") =>
        kubectl.RunAsync($"create -n {ns} -f -", Pod(name, resources));

    private async Task<JsonObject> GetJsonAsync(string args) =>
        JsonNode.Parse((await kubectl.RunAsync(args + " -o json")).EnsureSuccess().Stdout)!.AsObject();

    [Fact]
    public async Task PodQuotaRefusesTheThirdPodUntilOneIsDeleted()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create quota pods-quota -n {ns} --hard=pods=2,count/configmaps=1")).EnsureSuccess();

        // A scoped quota is not evaluated yet: it must not refuse pods its scopes would not select.
        (await kubectl.RunAsync($"create quota scoped -n {ns} --hard=pods=0 --scopes=Terminating")).EnsureSuccess();
        (await CreatePodAsync(ns, "one")).EnsureSuccess();
        (await CreatePodAsync(ns, "two")).EnsureSuccess();

        var third = await CreatePodAsync(ns, "three");
        Assert.NotEqual(0, third.ExitCode);
        Assert.Contains("pods \"three\" is forbidden: exceeded quota: pods-quota, requested: pods=1, used: pods=2, limited: pods=2", third.Stderr);

        // Other kinds count under count/<resource>.
        (await kubectl.RunAsync($"create configmap a -n {ns}")).EnsureSuccess();
        var secondMap = await kubectl.RunAsync($"create configmap b -n {ns}");
        Assert.Contains("exceeded quota: pods-quota, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1", secondMap.Stderr);

        var table = await Poll.UntilAsync(
            () => kubectl.RunAsync($"get quota -n {ns}"), r => r.Stdout.Contains("count/configmaps: 1/1, pods: 2/2"), Patience, "quota status shows the pods");
        Assert.Matches(@"NAME\s+AGE\s+REQUEST\s+LIMIT", table.Stdout);

        (await kubectl.RunAsync($"delete pod one -n {ns} --grace-period=0 --force")).EnsureSuccess();
        (await CreatePodAsync(ns, "three")).EnsureSuccess();
        var described = await Poll.UntilAsync(
            () => kubectl.RunAsync($"describe quota pods-quota -n {ns}"),
            r => r.Stdout.Contains("Resource") && System.Text.RegularExpressions.Regex.IsMatch(r.Stdout, @"pods\s+2\s+2"),
            Patience,
            "describe shows used and hard");
        Assert.Matches(@"Resource\s+Used\s+Hard", described.Stdout);
    }

    [Fact]
    public async Task CpuQuotaNeedsRequestsAndLimitsThem()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create quota compute -n {ns} --hard=requests.cpu=1,limits.memory=1Gi")).EnsureSuccess();
        var bare = await CreatePodAsync(ns, "bare");
        Assert.Contains("pods \"bare\" is forbidden: failed quota: compute: must specify limits.memory for: app; requests.cpu for: app", bare.Stderr);

        (await CreatePodAsync(ns, "first", "{requests: {cpu: 600m}, limits: {memory: 256Mi}}")).EnsureSuccess();
        var second = await CreatePodAsync(ns, "second", "{requests: {cpu: 600m}, limits: {memory: 256Mi}}");
        Assert.Contains("exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1", second.Stderr);
        (await CreatePodAsync(ns, "small", "{requests: {cpu: 400m}, limits: {memory: 256Mi}}")).EnsureSuccess();

        var quota = await Poll.UntilAsync(
            () => GetJsonAsync($"get quota compute -n {ns}"),
            q => (string?)q["status"]?["used"]?["requests.cpu"] == "1",
            Patience,
            "used cpu reaches the limit");
        Assert.Equal("512Mi", (string?)quota["status"]!["used"]!["limits.memory"]);
        Assert.Equal("1Gi", (string?)quota["status"]!["hard"]!["limits.memory"]);
    }

    [Fact]
    public async Task LimitRangeDefaultsAppearInTheStoredPodAndBoundsAreEnforced()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"apply -n {ns} -f -", """
            apiVersion: v1
            kind: LimitRange
            metadata: {name: bounds}
            spec:
              limits:
              - type: Container
                default: {cpu: 500m, memory: 128Mi}
                defaultRequest: {cpu: 100m}
                max: {cpu: "1"}
                min: {memory: 16Mi}
                maxLimitRequestRatio: {cpu: "10"}
              - type: Pod
                max: {memory: 1Gi}
            """)).EnsureSuccess();
        Assert.Contains("bounds", (await kubectl.RunAsync($"get limits -n {ns}")).EnsureSuccess().Stdout);

        (await CreatePodAsync(ns, "defaulted")).EnsureSuccess();
        var pod = await GetJsonAsync($"get pod defaulted -n {ns}");
        var resources = pod["spec"]!["containers"]![0]!["resources"]!;
        Assert.Equal("500m", (string?)resources["limits"]!["cpu"]);
        Assert.Equal("128Mi", (string?)resources["limits"]!["memory"]);
        Assert.Equal("100m", (string?)resources["requests"]!["cpu"]);
        Assert.Equal("128Mi", (string?)resources["requests"]!["memory"]);
        Assert.Equal(
            "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app",
            (string?)pod["metadata"]!["annotations"]![Grainetes.Machinery.Admission.LimitRanges.Annotation]);

        var tooBig = await CreatePodAsync(ns, "big", "{limits: {cpu: '2'}}");
        Assert.Contains("pods \"big\" is forbidden: maximum cpu usage per Container is 1, but limit is 2", tooBig.Stderr);
        var tooSmall = await CreatePodAsync(ns, "tiny", "{limits: {memory: 8Mi}}");
        Assert.Contains("minimum memory usage per Container is 16Mi, but request is 8Mi", tooSmall.Stderr);
        var ratio = await CreatePodAsync(ns, "skewed", "{requests: {cpu: 50m}, limits: {cpu: '1'}}");
        Assert.Contains("cpu max limit to request ratio per Container is 10, but provided ratio is 20.000000", ratio.Stderr);
        var podMax = await CreatePodAsync(ns, "heavy", "{limits: {memory: 2Gi}}");
        Assert.Contains("maximum memory usage per Pod is 1Gi, but limit is 2Gi", podMax.Stderr);
    }

    [Fact]
    public async Task ConcurrentCreatesNeverPassTheLastUnit()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create quota five -n {ns} --hard=pods=5")).EnsureSuccess();
        using var http = cluster.CreateHttpClient();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => http.PostAsync(
            $"/api/v1/namespaces/{ns}/pods",
            new StringContent(
                $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"burst-{{{i}}}"},"spec":{"containers":[{"name":"app","image":"busybox:1.36","command":["sleep","3600"]}]}}""",
                Encoding.UTF8,
                "application/json"))));
        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode));
        var refusal = JsonNode.Parse(await responses.First(r => r.StatusCode == HttpStatusCode.Forbidden).Content.ReadAsStringAsync())!;
        Assert.Equal("Forbidden", (string?)refusal["reason"]);
        Assert.Contains("exceeded quota: five, requested: pods=1, used: pods=5, limited: pods=5", (string?)refusal["message"]);
        var names = (await kubectl.RunAsync($"get pods -n {ns} -o name")).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, names.Length);
    }

    [Fact]
    public async Task DeploymentBlockedByQuotaReportsFailureAndRecoversWhenRaised()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create quota pods -n {ns} --hard=pods=1")).EnsureSuccess();
        (await kubectl.RunAsync($"create deployment web -n {ns} --image=busybox:1.36 --replicas=2 -- sleep 3600")).EnsureSuccess();

        var rs = await Poll.UntilAsync(
            async () => (await GetJsonAsync($"get rs -n {ns}"))["items"]!.AsArray().OfType<JsonObject>().FirstOrDefault(),
            r => r?["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "ReplicaFailure") == true,
            Patience,
            "ReplicaFailure condition");
        var failure = rs!["status"]!["conditions"]!.AsArray().Single(c => (string?)c!["type"] == "ReplicaFailure")!;
        Assert.Equal("FailedCreate", (string?)failure["reason"]);
        Assert.Contains("exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1", (string?)failure["message"]);
        var rsName = (string)rs["metadata"]!["name"]!;
        await Poll.UntilAsync(
            () => GetJsonAsync($"get deploy web -n {ns}"),
            d => d["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "ReplicaFailure" && (string?)c["reason"] == "FailedCreate") == true,
            Patience,
            "the deployment shows its ReplicaSet's failure");
        await Poll.UntilAsync(
            () => kubectl.RunAsync($"get events -n {ns} --field-selector involvedObject.name={rsName},reason=FailedCreate -o name"),
            r => r.Stdout.Trim().Length > 0,
            Patience,
            "FailedCreate event");

        (await kubectl.RunAsync($"patch quota pods -n {ns} --type=merge -p {{\"spec\":{{\"hard\":{{\"pods\":\"2\"}}}}}}")).EnsureSuccess();
        await Poll.UntilAsync(
            () => GetJsonAsync($"get rs {rsName} -n {ns}"),
            r => (int?)r["status"]?["replicas"] == 2 && r["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "ReplicaFailure") != true,
            Patience,
            "second replica created and the failure cleared");
        await Poll.UntilAsync(
            () => GetJsonAsync($"get deploy web -n {ns}"),
            d => d["status"]?["conditions"]?.AsArray().Any(c => (string?)c!["type"] == "ReplicaFailure") != true,
            Patience,
            "the deployment's failure cleared");
    }

    [Fact]
    public async Task UsageIsRebuiltFromTheStoreAfterARestart()
    {
        var ns = await NewNamespaceAsync();
        (await kubectl.RunAsync($"create quota one -n {ns} --hard=pods=1,count/secrets=1")).EnsureSuccess();
        (await CreatePodAsync(ns, "kept")).EnsureSuccess();
        (await kubectl.RunAsync($"create secret generic s -n {ns} --from-literal=a=b")).EnsureSuccess();

        await cluster.RestartAsync();
        var afterRestart = cluster.Kubectl;

        var refused = await afterRestart.RunAsync($"create -n {ns} -f -", Pod("extra"));
        Assert.Contains("exceeded quota: one, requested: pods=1, used: pods=1, limited: pods=1", refused.Stderr);
        var secret = await afterRestart.RunAsync($"create secret generic t -n {ns} --from-literal=a=b");
        Assert.Contains("exceeded quota: one, requested: count/secrets=1, used: count/secrets=1, limited: count/secrets=1", secret.Stderr);
        (await afterRestart.RunAsync($"delete pod kept -n {ns} --grace-period=0 --force")).EnsureSuccess();
        (await afterRestart.RunAsync($"create -n {ns} -f -", Pod("extra"))).EnsureSuccess();
    }
}
