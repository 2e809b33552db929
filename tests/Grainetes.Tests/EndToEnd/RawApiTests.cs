using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>The wire API as any HTTP client sees it: Status errors, subresources, health, watches.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RawApiTests(ClusterFixture cluster)
{
    private readonly HttpClient http = cluster.CreateHttpClient();

    private async Task<string> NewNamespaceAsync()
    {
        var ns = "r-" + Guid.NewGuid().ToString("N")[..10];
        var response = await PostAsync("/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ns;
    }

    private Task<HttpResponseMessage> PostAsync(string path, string body, string contentType = "application/json") =>
        http.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType));

    private static async Task<JsonObject> StatusOfAsync(HttpResponseMessage response, HttpStatusCode code, string reason)
    {
        Assert.Equal(code, response.StatusCode);
        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal("Failure", (string?)status["status"]);
        Assert.Equal(reason, (string?)status["reason"]);
        Assert.Equal((int)code, (int)status["code"]!);
        return status;
    }

    [Fact]
    public async Task HealthEndpointsAnswerOk()
    {
        foreach (var path in new[] { "/healthz", "/livez", "/readyz" })
        {
            var response = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("ok", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task ReadinessFollowsStorageWhileLivenessStaysUp()
    {
        await cluster.StopStorageAsync();
        try
        {
            var notReady = await http.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.InternalServerError, notReady.StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/livez")).StatusCode);
        }
        finally
        {
            await cluster.StartStorageAsync();
        }

        await Poll.UntilAsync(() => http.GetAsync("/readyz"), r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "ready again");
    }

    [Fact]
    public async Task BadInputGetsKubernetesStatusErrorsAndChangesNothing()
    {
        var ns = await NewNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        await StatusOfAsync(await PostAsync(path, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{"), HttpStatusCode.BadRequest, "BadRequest");
        await StatusOfAsync(await http.GetAsync($"/api/v1/namespaces/{ns}/widgets"), HttpStatusCode.NotFound, "NotFound");
        await StatusOfAsync(await http.GetAsync($"/apis/nope.example.com/v1/namespaces/{ns}/things"), HttpStatusCode.NotFound, "NotFound");
        var invalid = await StatusOfAsync(await PostAsync(path, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name"}}"""), HttpStatusCode.UnprocessableEntity, "Invalid");
        Assert.Contains(invalid["details"]!["causes"]!.AsArray(), c => (string?)c!["field"] == "metadata.name");
        var huge = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"big\"},\"data\":{\"a\":\"" + new string('x', 3 * 1024 * 1024 + 10) + "\"}}";
        await StatusOfAsync(await PostAsync(path, huge), HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge");
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(path, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one"},"data":{"k":"v"}}""")).StatusCode);
        await StatusOfAsync(await PostAsync(path, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one"},"data":{"k":"other"}}"""), HttpStatusCode.Conflict, "AlreadyExists");
        await StatusOfAsync(await http.GetAsync(path + "/missing"), HttpStatusCode.NotFound, "NotFound");
        var stale = new StringContent("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one","resourceVersion":"987654321"},"data":{"k":"stale"}}""", Encoding.UTF8, "application/json");
        await StatusOfAsync(await http.PutAsync(path + "/one", stale), HttpStatusCode.Conflict, "Conflict");
        var strict = await StatusOfAsync(await PostAsync(path + "?fieldValidation=Strict", """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"two"},"dataa":{}}"""), HttpStatusCode.BadRequest, "BadRequest");
        Assert.Contains("unknown field \"dataa\"", (string?)strict["message"]);
        var wrongType = await PostAsync(path, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"three","labels":"not-a-map"}}""");
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);

        var stored = JsonNode.Parse(await http.GetStringAsync(path + "/one"))!;
        Assert.Equal("v", (string?)stored["data"]!["k"]);
        var list = JsonNode.Parse(await http.GetStringAsync(path))!;
        Assert.Equal(["one"], list["items"]!.AsArray().Select(i => (string?)i!["metadata"]!["name"]));
    }

    [Fact]
    public async Task StatusSubresourceWritesOnlyStatusAndMainResourceIgnoresIt()
    {
        var ns = await NewNamespaceAsync();
        var path = $"/apis/apps/v1/namespaces/{ns}/deployments";
        var body = """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}},"status":{"replicas":9}}""";
        var created = JsonNode.Parse(await (await PostAsync(path, body)).Content.ReadAsStringAsync())!;
        Assert.Null(created["status"]?["replicas"]);
        var patch = new StringContent("""{"status":{"replicas":3,"observedGeneration":1},"spec":{"replicas":7}}""", Encoding.UTF8, "application/merge-patch+json");
        var patched = JsonNode.Parse(await (await http.PatchAsync(path + "/d/status", patch)).Content.ReadAsStringAsync())!;
        Assert.Equal(3, (int)patched["status"]!["replicas"]!);
        Assert.Equal(1, (int)patched["spec"]!["replicas"]!);
        Assert.Equal(1, (int)patched["metadata"]!["generation"]!);
        var main = new StringContent("""{"status":{"replicas":5},"spec":{"replicas":2}}""", Encoding.UTF8, "application/merge-patch+json");
        var mainPatched = JsonNode.Parse(await (await http.PatchAsync(path + "/d", main)).Content.ReadAsStringAsync())!;
        Assert.Equal(3, (int)mainPatched["status"]!["replicas"]!);
        Assert.Equal(2, (int)mainPatched["spec"]!["replicas"]!);
        Assert.Equal(2, (int)mainPatched["metadata"]!["generation"]!);
    }

    [Fact]
    public async Task WatchFromAListVersionDeliversEveryLaterChangeOnceAndInOrder()
    {
        var ns = await NewNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var rv = (string)JsonNode.Parse(await http.GetStringAsync(path))!["metadata"]!["resourceVersion"]!;
        using var watchClient = cluster.CreateHttpClient();
        watchClient.Timeout = Timeout.InfiniteTimeSpan;
        using var response = await watchClient.GetAsync($"{path}?watch=true&resourceVersion={rv}&timeoutSeconds=120", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        const int count = 2000;
        using (var gate = new SemaphoreSlim(32))
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var r = await PostAsync(path, $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w{{{i}}}"}}""");
                    Assert.Equal(HttpStatusCode.Created, r.StatusCode);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        var patch = new StringContent("""{"data":{"x":"1"}}""", Encoding.UTF8, "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, (await http.PatchAsync(path + "/w0", patch)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync(path + "/w1")).StatusCode);

        var seen = new HashSet<string>();
        var last = long.Parse(rv);
        var types = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (types.Count < count + 2)
        {
            var line = await reader.ReadLineAsync(cts.Token) ?? throw new InvalidOperationException("watch ended early");
            var ev = JsonNode.Parse(line)!;
            var type = (string)ev["type"]!;
            var objRv = long.Parse((string)ev["object"]!["metadata"]!["resourceVersion"]!);
            Assert.True(objRv > last, $"event at {objRv} after {last}: out of order or duplicated");
            last = objRv;
            types.Add(type);
            if (type == "ADDED")
            {
                Assert.True(seen.Add((string)ev["object"]!["metadata"]!["name"]!), "duplicate ADDED");
            }
        }

        Assert.Equal(count, seen.Count);
        Assert.Equal("MODIFIED", types[^2]);
        Assert.Equal("DELETED", types[^1]);
    }

    [Fact]
    public async Task WatchSendsBookmarksWhenAsked()
    {
        var ns = await NewNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var rv = (string)JsonNode.Parse(await http.GetStringAsync(path))!["metadata"]!["resourceVersion"]!;
        using var watchClient = cluster.CreateHttpClient();
        using var response = await watchClient.GetAsync($"{path}?watch=true&allowWatchBookmarks=true&resourceVersion={rv}&timeoutSeconds=30", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var line = await reader.ReadLineAsync(cts.Token);
        var ev = JsonNode.Parse(line!)!;
        Assert.Equal("BOOKMARK", (string?)ev["type"]);
        Assert.True(long.Parse((string)ev["object"]!["metadata"]!["resourceVersion"]!) >= long.Parse(rv));
    }
}
