using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>
/// Malformed and hostile requests against every write endpoint: each gets a 4xx <c>Status</c>, the silo stays up,
/// and the objects already stored are exactly as they were (checksum over names, uids and resource versions).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BadInputTests(ClusterFixture cluster)
{
    private static readonly string[] NamespacedKinds = ["api/v1/configmaps", "api/v1/secrets", "api/v1/services", "api/v1/pods", "apis/apps/v1/deployments", "apis/batch/v1/jobs"];

    private readonly HttpClient http = cluster.CreateHttpClient();

    [Fact]
    public async Task HostileBodiesNamesAndParametersGet4xxStatusAndChangeNothing()
    {
        var ns = await SeedAsync();
        var before = await ChecksumAsync(ns);
        var nested = new string('[', 20_000) + new string(']', 20_000);
        var bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
            + string.Join("\n", Enumerable.Range(0, 9).Select(i => $"{(char)('b' + i)}: &{(char)('b' + i)} [*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)},*{(char)('a' + i)}]"))
            + "\nkind: ConfigMap\napiVersion: v1\nmetadata:\n  name: bomb\n";
        var huge = $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"huge"},"data":{"x":"{{{new string('x', 3 * 1024 * 1024 + 512 * 1024)}}}"}}""";
        var cases = new List<(string What, HttpMethod Method, string Path, string? Body, string ContentType)>();
        foreach (var kind in NamespacedKinds)
        {
            var (group, plural) = (kind[..kind.LastIndexOf('/')], kind[(kind.LastIndexOf('/') + 1)..]);
            var collection = $"/{group}/namespaces/{ns}/{plural}";
            var item = collection + "/keep";
            cases.AddRange(
            [
                ("truncated JSON", HttpMethod.Post, collection, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x""", "application/json"),
                ("deeply nested JSON", HttpMethod.Post, collection, nested, "application/json"),
                ("deeply nested YAML", HttpMethod.Post, collection, nested, "application/yaml"),
                ("YAML alias bomb", HttpMethod.Post, collection, bomb, "application/yaml"),
                ("a JSON array", HttpMethod.Post, collection, "[]", "application/json"),
                ("null", HttpMethod.Post, collection, "null", "application/json"),
                ("wrong type of name", HttpMethod.Post, collection, """{"metadata":{"name":5}}""", "application/json"),
                ("wrong type of metadata", HttpMethod.Post, collection, """{"metadata":"x"}""", "application/json"),
                ("huge body", HttpMethod.Post, collection, huge, "application/json"),
                ("unknown content type", HttpMethod.Post, collection, "{}", "text/plain"),
                ("invalid name", HttpMethod.Post, collection, """{"metadata":{"name":"Bad_Name!"}}""", "application/json"),
                ("dot-dot name", HttpMethod.Post, collection, """{"metadata":{"name":".."}}""", "application/json"),
                ("slash in name", HttpMethod.Post, collection, """{"metadata":{"name":"a/b"}}""", "application/json"),
                ("label too long", HttpMethod.Post, collection, "{\"metadata\":{\"name\":\"lbl\",\"labels\":{\"a\":\"" + new string('v', 64) + "\"}}}", "application/json"),
                ("label key invalid", HttpMethod.Post, collection, """{"metadata":{"name":"lbl","labels":{"-bad-":"v"}}}""", "application/json"),
                ("unknown field, strict", HttpMethod.Post, collection + "?fieldValidation=Strict", """{"metadata":{"name":"strict"},"bogus":1}""", "application/json"),
                ("name differs from the URL", HttpMethod.Put, item, """{"metadata":{"name":"other"}}""", "application/json"),
                ("truncated PUT", HttpMethod.Put, item, """{"metadata":{"name":"keep"}""", "application/json"),
                ("stale resourceVersion", HttpMethod.Put, item, """{"metadata":{"name":"keep","resourceVersion":"987654321"}}""", "application/json"),
                ("bad merge patch", HttpMethod.Patch, item, "{", "application/merge-patch+json"),
                ("bad JSON patch", HttpMethod.Patch, item, """[{"op":"explode","path":"/x"}]""", "application/json-patch+json"),
                ("JSON patch on a missing path", HttpMethod.Patch, item, """[{"op":"replace","path":"/no/such/path","value":1}]""", "application/json-patch+json"),
                ("apply without field manager", HttpMethod.Patch, item, """{"apiVersion":"v1","metadata":{"name":"keep"}}""", "application/apply-patch+yaml"),
                ("unknown field named with a newline, strict", HttpMethod.Post, collection + "?fieldValidation=Strict", """{"metadata":{"name":"nl"},"bo\ngus":1}""", "application/json"),
                ("merge patch renaming the object", HttpMethod.Patch, item, """{"metadata":{"name":"renamed"}}""", "application/merge-patch+json"),
                ("JSON patch moving the object to another namespace", HttpMethod.Patch, item, """[{"op":"replace","path":"/metadata/namespace","value":"elsewhere"}]""", "application/json-patch+json"),
                ("strategic merge patch setting labels to a string", HttpMethod.Patch, item, """{"metadata":{"labels":"oops"}}""", "application/strategic-merge-patch+json"),
                ("path traversal in the name", HttpMethod.Put, collection + "/..%2F..%2Fsecrets", "{}", "application/json"),
                ("invalid label selector", HttpMethod.Delete, collection + "?labelSelector=a%20in%20(", null, "application/json"),
                ("invalid field selector", HttpMethod.Delete, collection + "?fieldSelector=metadata.name%3D%3D%3Dx", null, "application/json"),
            ]);
        }

        cases.AddRange(
        [
            ("log of a container outside the pod", HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods/keep/log?container=../../../etc/passwd", null, "application/json"),
            ("log with bad tailLines", HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods/keep/log?tailLines=abc", null, "application/json"),
            ("namespace named with traversal", HttpMethod.Post, "/api/v1/namespaces/..%2F/configmaps", """{"metadata":{"name":"x"}}""", "application/json"),
            ("invalid namespace object", HttpMethod.Post, "/api/v1/namespaces", """{"metadata":{"name":"UPPER"}}""", "application/json"),
            ("list with invalid selector", HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods?labelSelector=!!", null, "application/json"),
        ]);

        var failures = new List<string>();
        foreach (var (what, method, path, body, contentType) in cases)
        {
            using var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8);
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
            }

            using var response = await http.SendAsync(request);
            var code = (int)response.StatusCode;
            var text = await response.Content.ReadAsStringAsync();
            JsonNode? status = null;
            try
            {
                status = JsonNode.Parse(text);
            }
            catch (System.Text.Json.JsonException)
            {
            }

            if (code is < 400 or >= 500 || (string?)status?["kind"] != "Status" || (int?)status?["code"] != code)
            {
                failures.Add($"{what}: {method} {path[..Math.Min(path.Length, 120)]} → {code} {text[..Math.Min(text.Length, 200)]}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
        Assert.Equal(before, await ChecksumAsync(ns));
    }

    [Fact]
    public async Task MutatedManifestsNeverGetA5xxAndTheSiloStaysUp()
    {
        var ns = await SeedAsync();
        var before = await ChecksumAsync(ns);
        var fuzzNs = "fuzz-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Created, (await Post("/api/v1/namespaces", $$$"""{"metadata":{"name":"{{{fuzzNs}}}"}}""")).StatusCode);
        var seed = Environment.TickCount;
        var random = new Random(seed);
        string[] seeds =
        [
            """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"f","labels":{"a":"b"}},"data":{"k":"v"}}""",
            """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"f"},"spec":{"replicas":0,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":80}],"resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]}}}}""",
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"f"},"spec":{"selector":{"a":"b"},"ports":[{"port":80,"targetPort":"http"}]}}""",
        ];
        string[] paths = [$"/api/v1/namespaces/{fuzzNs}/configmaps", $"/apis/apps/v1/namespaces/{fuzzNs}/deployments", $"/api/v1/namespaces/{fuzzNs}/services"];
        string[] tokens = ["{", "}", "[", "]", ",", ":", "\"", "null", "true", "-1", "1e309", "\"\\u0000\"", "\"../..\"", "{\"$ref\":1}", "99999999999999999999", "\"" + new string('z', 300) + "\""];
        var serverErrors = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var which = random.Next(seeds.Length);
            var body = new StringBuilder(seeds[which]);
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                var at = random.Next(body.Length);
                switch (random.Next(3))
                {
                    case 0: body.Remove(at, Math.Min(random.Next(1, 8), body.Length - at)); break;
                    case 1: body.Insert(at, tokens[random.Next(tokens.Length)]); break;
                    default: body[at] = (char)random.Next(32, 127); break;
                }
            }

            var mutated = body.ToString().Replace("\"name\":\"f\"", $"\"name\":\"f{i}\"", StringComparison.Ordinal);
            using var response = await Post(paths[which], mutated);
            if ((int)response.StatusCode >= 500)
            {
                serverErrors.Add($"{(int)response.StatusCode} for {mutated}");
            }
        }

        Assert.True(serverErrors.Count == 0, $"seed {seed}:\n" + string.Join("\n", serverErrors.Take(5)));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz")).StatusCode);
        Assert.Equal(before, await ChecksumAsync(ns));
    }

    [Fact]
    public async Task UnknownFieldsNamedWithControlOrNonAsciiCharactersAreWarnedAboutNotA500()
    {
        // Found by the fuzz test: the field's name went raw into the Warning header, which Kestrel refuses.
        var ns = await SeedAsync();
        using var response = await Post($"/api/v1/namespaces/{ns}/configmaps", """{"metadata":{"name":"odd"},"bo\ngus":1,"\u0000x":2,"é":3}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var warnings = response.Headers.GetValues("Warning").ToList();
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("bo\\\\u000agus", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("\\\\u00e9", StringComparison.Ordinal));
    }

    private Task<HttpResponseMessage> Post(string path, string body) =>
        http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>A namespace holding one object of each kind under test, all named <c>keep</c>.</summary>
    private async Task<string> SeedAsync()
    {
        var ns = "bad-" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Created, (await Post("/api/v1/namespaces", $$$"""{"metadata":{"name":"{{{ns}}}"}}""")).StatusCode);
        string[] objects =
        [
            $"/api/v1/namespaces/{ns}/configmaps|" + """{"metadata":{"name":"keep"},"data":{"a":"b"}}""",
            $"/api/v1/namespaces/{ns}/secrets|" + """{"metadata":{"name":"keep"},"stringData":{"a":"b"}}""",
            $"/api/v1/namespaces/{ns}/services|" + """{"metadata":{"name":"keep"},"spec":{"ports":[{"port":80}]}}""",
            $"/api/v1/namespaces/{ns}/pods|" + """{"metadata":{"name":"keep"},"spec":{"nodeName":"no-such-node","containers":[{"name":"c","image":"i"}]}}""",
            $"/apis/apps/v1/namespaces/{ns}/deployments|" + """{"metadata":{"name":"keep"},"spec":{"replicas":0,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}""",
            $"/apis/batch/v1/namespaces/{ns}/jobs|" + """{"metadata":{"name":"keep"},"spec":{"suspend":true,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}}}""",
        ];
        foreach (var entry in objects)
        {
            var (path, body) = (entry[..entry.IndexOf('|')], entry[(entry.IndexOf('|') + 1)..]);
            var response = await Post(path, body);
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{path}: {await response.Content.ReadAsStringAsync()}");
        }

        // Let controllers settle on the seeded objects before the checksum is taken.
        await Poll.UntilAsync(() => ChecksumAsync(ns), _ => true);
        string? last = null;
        await Poll.UntilAsync(
            async () =>
            {
                var now = await ChecksumAsync(ns);
                var stable = now == last;
                last = now;
                return stable;
            },
            stable => stable,
            TimeSpan.FromSeconds(30),
            "the seeded objects to settle");
        return ns;
    }

    /// <summary>Name, uid and resourceVersion of every object in the namespace (and the namespace itself).</summary>
    private async Task<string> ChecksumAsync(string ns)
    {
        var lines = new List<string>();
        foreach (var kind in NamespacedKinds)
        {
            var (group, plural) = (kind[..kind.LastIndexOf('/')], kind[(kind.LastIndexOf('/') + 1)..]);
            var list = JsonNode.Parse(await http.GetStringAsync($"/{group}/namespaces/{ns}/{plural}"))!;
            lines.AddRange(list["items"]!.AsArray().Select(item =>
                $"{plural}/{item!["metadata"]!["name"]}/{item["metadata"]!["uid"]}/{item["metadata"]!["resourceVersion"]}"));
        }

        var nsObject = JsonNode.Parse(await http.GetStringAsync($"/api/v1/namespaces/{ns}"))!;
        lines.Add($"namespace/{nsObject["metadata"]!["resourceVersion"]}");
        lines.Sort(StringComparer.Ordinal);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", lines))));
    }
}
