using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>Stopping the host and Azurite and starting them again loses nothing the API acknowledged.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RestartTests(ClusterFixture cluster)
{
    [Fact]
    public async Task EverythingAcknowledgedSurvivesARestartWithItsUidAndVersion()
    {
        var ns = "s-" + Guid.NewGuid().ToString("N")[..10];
        var before = new Dictionary<string, (string Uid, string Rv)>();
        string listRv;
        using (var http = cluster.CreateHttpClient())
        {
            Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/namespaces", Json($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}"""))).StatusCode);
            for (var i = 0; i < 50; i++)
            {
                var response = await http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Json($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c{{{i}}}"},"data":{"i":"{{{i}}}"}}"""));
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            }

            var patch = new StringContent("""{"data":{"i":"patched"}}""", Encoding.UTF8, "application/merge-patch+json");
            Assert.Equal(HttpStatusCode.OK, (await http.PatchAsync($"/api/v1/namespaces/{ns}/configmaps/c7", patch)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync($"/api/v1/namespaces/{ns}/configmaps/c8")).StatusCode);
            var list = JsonNode.Parse(await http.GetStringAsync($"/api/v1/namespaces/{ns}/configmaps"))!;
            listRv = (string)list["metadata"]!["resourceVersion"]!;
            foreach (var item in list["items"]!.AsArray())
            {
                before[(string)item!["metadata"]!["name"]!] = ((string)item["metadata"]!["uid"]!, (string)item["metadata"]!["resourceVersion"]!);
            }
        }

        await cluster.RestartAsync();

        using (var http = cluster.CreateHttpClient())
        {
            var list = JsonNode.Parse(await http.GetStringAsync($"/api/v1/namespaces/{ns}/configmaps"))!;
            var after = list["items"]!.AsArray().ToDictionary(
                i => (string)i!["metadata"]!["name"]!,
                i => ((string)i!["metadata"]!["uid"]!, (string)i["metadata"]!["resourceVersion"]!));
            Assert.Equal(before, after);
            Assert.False(after.ContainsKey("c8"));
            var c7 = JsonNode.Parse(await http.GetStringAsync($"/api/v1/namespaces/{ns}/configmaps/c7"))!;
            Assert.Equal("patched", (string?)c7["data"]!["i"]);
            Assert.Equal(before["c7"].Rv, (string?)c7["metadata"]!["resourceVersion"]);

            // A watch from the list's version before the restart resumes: the next change arrives, nothing older.
            using var watchClient = cluster.CreateHttpClient();
            using var response = await watchClient.GetAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={listRv}&timeoutSeconds=60", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var patch = new StringContent("""{"data":{"i":"after-restart"}}""", Encoding.UTF8, "application/merge-patch+json");
            Assert.Equal(HttpStatusCode.OK, (await http.PatchAsync($"/api/v1/namespaces/{ns}/configmaps/c9", patch)).StatusCode);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var ev = JsonNode.Parse((await reader.ReadLineAsync(cts.Token))!)!;
            Assert.Equal("MODIFIED", (string?)ev["type"]);
            Assert.Equal("c9", (string?)ev["object"]!["metadata"]!["name"]);
            Assert.Equal("after-restart", (string?)ev["object"]!["data"]!["i"]);
        }
    }

    [Fact]
    public async Task ARestartedSiloAdoptsItsRunningContainersInsteadOfStartingThemAgain()
    {
        var kubectl = cluster.Kubectl;
        var ns = "a-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"apply -n {ns} -f -", $"apiVersion: v1\nkind: Pod\nmetadata: {{name: steady}}\nspec:\n  containers: [{{name: main, image: {cluster.TestImage}, command: [sleep, '3600']}}]\n")).EnsureSuccess();
        (await kubectl.RunAsync($"wait --for=condition=Ready pod/steady -n {ns} --timeout=90s", timeout: TimeSpan.FromSeconds(100))).EnsureSuccess();
        var before = (await kubectl.RunAsync($"get pod steady -n {ns} -o jsonpath={{.status.containerStatuses[0].containerID}}")).EnsureSuccess().Stdout;
        Assert.False(string.IsNullOrEmpty(before));

        await cluster.RestartAsync();
        kubectl = cluster.Kubectl;

        // After the restart the node agent reports again; the container it reports must be the same one.
        var after = await Poll.UntilAsync(
            async () => JsonNode.Parse((await kubectl.RunAsync($"get pod steady -n {ns} -o json")).EnsureSuccess().Stdout)!,
            p => (bool?)p["status"]?["containerStatuses"]?[0]?["ready"] == true,
            TimeSpan.FromSeconds(60),
            "the pod ready after the restart");
        Assert.Equal(before, (string?)after["status"]!["containerStatuses"]![0]!["containerID"]);
        Assert.Equal(0, (int)after["status"]!["containerStatuses"]![0]!["restartCount"]!);
        (await kubectl.RunAsync($"delete pod steady -n {ns} --timeout=60s", timeout: TimeSpan.FromSeconds(70))).EnsureSuccess();
    }

    [Fact]
    public async Task WorkloadsAndRemindersComeBackWithoutDuplicatesAfterAWholeClusterRestart()
    {
        var kubectl = cluster.Kubectl;
        var ns = "w-" + Guid.NewGuid().ToString("N")[..10];
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"apply -n {ns} -f -", Workloads(cluster.TestImage))).EnsureSuccess();
        (await kubectl.RunAsync($"rollout status deployment/web -n {ns} --timeout=120s", timeout: TimeSpan.FromSeconds(130))).EnsureSuccess();
        (await kubectl.RunAsync($"wait --for=condition=complete job/once -n {ns} --timeout=120s", timeout: TimeSpan.FromSeconds(130))).EnsureSuccess();
        (await kubectl.RunAsync($"wait --for=condition=Ready pod -l job-name=long -n {ns} --timeout=120s", timeout: TimeSpan.FromSeconds(130))).EnsureSuccess();
        var podsBefore = await PodUidsAsync(kubectl, ns);
        Assert.Equal(4, podsBefore.Count); // two replicas, the finished Job's pod, the running Job's pod
        var remindersBefore = await ReminderKeysAsync();
        Assert.NotEmpty(remindersBefore);

        await cluster.RestartAsync();
        kubectl = cluster.Kubectl;

        // Scaling after the restart makes the controllers reconcile with what they found: one new replica, no more.
        (await kubectl.RunAsync($"scale deployment web -n {ns} --replicas=3")).EnsureSuccess();
        (await kubectl.RunAsync($"rollout status deployment/web -n {ns} --timeout=120s", timeout: TimeSpan.FromSeconds(130))).EnsureSuccess();
        (await kubectl.RunAsync($"wait --for=condition=Ready pod -l job-name=long -n {ns} --timeout=120s", timeout: TimeSpan.FromSeconds(130))).EnsureSuccess();
        var podsAfter = await PodUidsAsync(kubectl, ns);
        Assert.All(podsBefore, p => Assert.Contains(p, podsAfter));
        Assert.Equal(podsBefore.Count + 1, podsAfter.Count);

        var once = JsonNode.Parse((await kubectl.RunAsync($"get job once -n {ns} -o json")).EnsureSuccess().Stdout)!;
        Assert.Equal(1, (int?)once["status"]!["succeeded"]);
        Assert.Single((await kubectl.RunAsync($"get pods -n {ns} -l job-name=once -o name")).EnsureSuccess().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var longJob = JsonNode.Parse((await kubectl.RunAsync($"get job long -n {ns} -o json")).EnsureSuccess().Stdout)!;
        Assert.Equal(1, (int?)longJob["status"]!["active"]);

        // Reminders are rows in storage: every one registered before the restart is still there to fire.
        var remindersAfter = await ReminderKeysAsync();
        Assert.All(remindersBefore, r => Assert.Contains(r, remindersAfter));
        (await kubectl.RunAsync($"delete namespace {ns} --wait=false")).EnsureSuccess();
    }

    private static async Task<HashSet<string>> PodUidsAsync(Kubectl kubectl, string ns) =>
        JsonNode.Parse((await kubectl.RunAsync($"get pods -n {ns} -o json")).EnsureSuccess().Stdout)!["items"]!.AsArray()
            .Select(p => (string)p!["metadata"]!["name"]! + "/" + (string)p["metadata"]!["uid"]!)
            .ToHashSet(StringComparer.Ordinal);

    private async Task<HashSet<string>> ReminderKeysAsync()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var row in new Azure.Data.Tables.TableServiceClient(cluster.StorageConnectionString).GetTableClient("GrainetesReminders")
                           .QueryAsync<Azure.Data.Tables.TableEntity>(select: ["PartitionKey", "RowKey"]))
        {
            keys.Add(row.PartitionKey + "/" + row.RowKey);
        }

        return keys;
    }

    private static string Workloads(string image) => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: 2
              containers:
              - {name: web, image: {{{image}}}, command: [sleep, '3600']}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata: {name: once}
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              containers:
              - {name: once, image: {{{image}}}, command: [sh, -c, 'echo ran']}
        ---
        apiVersion: batch/v1
        kind: Job
        metadata: {name: long}
        spec:
          backoffLimit: 0
          template:
            spec:
              restartPolicy: Never
              terminationGracePeriodSeconds: 2
              containers:
              - {name: long, image: {{{image}}}, command: [sleep, '3600']}
        """;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
