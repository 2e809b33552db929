using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Tests.EndToEnd;

/// <summary>
/// The real host stops promptly on a signal: open watches end at once (clients see their streams close cleanly),
/// and a store that no longer answers does not hold the stop; the next start serves everything acknowledged.
/// Its own cluster, since every test here stops it.
/// </summary>
public sealed class HostStopTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private const int SigTerm = 15;

    // Generous for a loaded machine; the stop takes a few seconds (docs/performance.md).
    private static readonly TimeSpan ExitDeadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SigtermEndsOpenWatchesAndExitsWithCodeZero()
    {
        var ns = await CreateNamespaceAsync("w");
        using var http = cluster.CreateHttpClient();
        var watches = new List<StreamReader>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                watches.Add(new StreamReader(await http.GetStreamAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true")));
            }

            // Every watch is live: each sees the object made after it opened.
            await PostAsync(http, $"/api/v1/namespaces/{ns}/configmaps", ConfigMap("seen"));
            foreach (var watch in watches)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var first = await watch.ReadLineAsync(timeout.Token);
                Assert.Equal("seen", (string?)JsonNode.Parse(first!)!["object"]!["metadata"]!["name"]);
            }

            var ends = watches.Select(w => w.ReadToEndAsync()).ToList();
            var code = await cluster.SignalHostAsync(SigTerm, ExitDeadline);
            Assert.True(code == 0, $"the host exited with {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing before the deadline"}:\n{cluster.LastHostOutput}");
            Assert.Contains("SIGTERM received", cluster.LastHostOutput, StringComparison.Ordinal);

            // A graceful stop: the silo's membership row says Dead, so peers and the next start need not wait for it.
            var rows = new List<Azure.Data.Tables.TableEntity>();
            await foreach (var row in new Azure.Data.Tables.TableClient(cluster.StorageConnectionString, "OrleansSiloInstances").QueryAsync<Azure.Data.Tables.TableEntity>())
            {
                if (row.GetString("Status") is { } status)
                {
                    rows.Add(row);
                    Assert.True(status == "Dead", $"silo {row.GetString("SiloName")} is {status} after its graceful stop");
                }
            }

            Assert.NotEmpty(rows);
            foreach (var end in ends)
            {
                // The server ended the stream cleanly (a broken connection would throw here), with nothing more in it.
                Assert.Equal("", await end.WaitAsync(ExitDeadline));
            }
        }
        finally
        {
            watches.ForEach(w => w.Dispose());
            await cluster.StartAgainAsync();
        }
    }

    [Fact]
    public async Task SigtermWithTheStoreGoneExitsAndTheNextStartServesEverythingAcknowledged()
    {
        var ns = await CreateNamespaceAsync("d");
        var names = Enumerable.Range(0, 20).Select(i => "c" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        using (var http = cluster.CreateHttpClient())
        {
            foreach (var name in names)
            {
                await PostAsync(http, $"/api/v1/namespaces/{ns}/configmaps", ConfigMap(name));
            }
        }

        // The store goes first (as when Ctrl-C in a terminal reaches Azurite too); Azurite is stopped gracefully,
        // since a killed one may lose its own last seconds whatever the host does.
        await cluster.StopStorageAsync();
        int? code;
        try
        {
            code = await cluster.SignalHostAsync(SigTerm, ExitDeadline);
        }
        finally
        {
            await cluster.StartAgainAsync();
        }

        Assert.True(code == 0, $"the host exited with {code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing before the deadline"}:\n{cluster.LastHostOutput}");
        Assert.Contains("store answers: False", cluster.LastHostOutput, StringComparison.Ordinal);
        using var after = cluster.CreateHttpClient();
        var list = JsonNode.Parse(await after.GetStringAsync($"/api/v1/namespaces/{ns}/configmaps"))!;
        var served = list["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), served);
    }

    private async Task<string> CreateNamespaceAsync(string prefix)
    {
        var ns = prefix + "-" + Guid.NewGuid().ToString("N")[..10];
        using var http = cluster.CreateHttpClient();
        await PostAsync(http, "/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""");
        return ns;
    }

    private static async Task PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private static string ConfigMap(string name) => $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"k":"v"}}""";
}
