using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Grainetes.Tests.EndToEnd;

namespace Grainetes.Tests.Telemetry;

/// <summary>
/// The dashboards query exactly what a host exports: every metric and label a dashboard's PromQL names is served by the
/// traced host's <c>/metrics</c> (after one apply, so every instrument has measured something), and every Grainetes
/// metric it serves is on some dashboard.
/// </summary>
[Collection(TracedClusterCollection.Name)]
public sealed partial class DashboardMetricsTests(TracedClusterFixture cluster)
{
    private static readonly string[] Dashboards = ["control-plane.json", "scheduling.json", "nodes.json", "workloads.json"];

    // Labels Prometheus adds when it scrapes, not the exporter.
    private static readonly string[] ScrapeLabels = ["job", "instance"];

    private static readonly string[] HistogramSuffixes = ["_bucket", "_sum", "_count"];

    [Fact]
    public async Task DashboardsQueryOnlyMetricsAndLabelsTheHostServes()
    {
        var exported = await ScrapeAsync();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, expr) in Queries())
        {
            var selectors = SelectorPattern().Matches(expr);
            Assert.True(selectors.Count > 0, $"{file}: every query names its metrics with a selector: {expr}");
            foreach (Match selector in selectors)
            {
                var name = selector.Groups["name"].Value;
                used.Add(name);
                Assert.True(exported.ContainsKey(name), $"{file} queries {name}, which /metrics does not serve: {expr}");
                foreach (Match label in LabelPattern().Matches(selector.Groups["labels"].Value))
                {
                    var key = label.Groups["key"].Value;
                    Assert.True(
                        ScrapeLabels.Contains(key) || exported[name].Contains(key),
                        $"{file} filters {name} on label {key}, which it does not carry (it has {string.Join(", ", exported[name])}): {expr}");
                }
            }
        }

        // Exactly these: each of Grainetes' own metrics is on a dashboard.
        var families = used.Select(Family).ToHashSet(StringComparer.Ordinal);
        var unused = exported.Keys.Where(n => n.StartsWith("grainetes_", StringComparison.Ordinal)).Select(Family).Distinct()
            .Where(f => !families.Contains(f)).ToList();
        Assert.True(unused.Count == 0, "Grainetes metrics on no dashboard: " + string.Join(", ", unused));
    }

    [Fact]
    public async Task EveryGrainetesInstrumentIsServedUnderItsPrometheusName()
    {
        var exported = await ScrapeAsync();
        string[] expected =
        [
            "grainetes_api_request_duration_seconds_bucket",
            "grainetes_api_watches",
            "grainetes_store_objects",
            "grainetes_scheduler_attempts_total",
            "grainetes_scheduler_attempt_duration_seconds_bucket",
            "grainetes_scheduler_pod_scheduling_duration_seconds_bucket",
            "grainetes_pod_startup_duration_seconds_bucket",
            "grainetes_controller_reconcile_duration_seconds_bucket",
            "grainetes_controller_reconcile_errors_total",
            "grainetes_reminder_ticks_total",
            "grainetes_runtime_operations_total",
            "grainetes_runtime_operation_duration_seconds_bucket",
            "grainetes_container_restarts_total",
            "grainetes_node_pods",
        ];
        var missing = expected.Where(n => !exported.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0, "not on /metrics: " + string.Join(", ", missing));
        Assert.Contains("verb", exported["grainetes_api_request_duration_seconds_bucket"]);
        Assert.Contains("code", exported["grainetes_api_request_duration_seconds_bucket"]);
        Assert.Contains("controller", exported["grainetes_controller_reconcile_duration_seconds_bucket"]);
        Assert.Contains("kind", exported["grainetes_store_objects"]);
    }

    /// <summary>Every sample name on <c>/metrics</c> with the label names its samples carry.</summary>
    private async Task<Dictionary<string, HashSet<string>>> ScrapeAsync()
    {
        using var http = new HttpClient { BaseAddress = cluster.ApiAddress };
        var text = await http.GetStringAsync("/metrics");
        var samples = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var match = SamplePattern().Match(line);
            Assert.True(match.Success, "not a Prometheus sample line: " + line);
            if (!samples.TryGetValue(match.Groups["name"].Value, out var labels))
            {
                labels = new HashSet<string>(StringComparer.Ordinal);
                samples[match.Groups["name"].Value] = labels;
            }

            foreach (Match label in LabelPattern().Matches(match.Groups["labels"].Value))
            {
                labels.Add(label.Groups["key"].Value);
            }
        }

        return samples;
    }

    private static IEnumerable<(string File, string Expr)> Queries()
    {
        var folder = Path.Combine(RepositoryPaths.Root, "dashboards");
        Assert.Equal(Dashboards.Order(), Directory.GetFiles(folder, "*.json").Select(Path.GetFileName).Order());
        foreach (var file in Dashboards)
        {
            var dashboard = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, file)))!;
            var panels = dashboard["panels"]!.AsArray();
            Assert.NotEmpty(panels);
            foreach (var target in panels.SelectMany(p => p!["targets"]!.AsArray()))
            {
                yield return (file, (string)target!["expr"]!);
            }
        }
    }

    private static string Family(string sample) =>
        HistogramSuffixes.FirstOrDefault(s => sample.EndsWith(s, StringComparison.Ordinal)) is { } suffix ? sample[..^suffix.Length] : sample;

    [GeneratedRegex(@"(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\}")]
    private static partial Regex SelectorPattern();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*""")]
    private static partial Regex LabelPattern();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s")]
    private static partial Regex SamplePattern();
}
