using Grainetes.Host.Azurite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.EndToEnd;

/// <summary>The real host's console export (Microsoft's OpenTelemetry console exporter) and its <c>/metrics</c> endpoint.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task OtelConsoleExportsRequestSpansAndMetricsServesPrometheusText()
    {
        var root = Path.Combine(Path.GetTempPath(), "grainetes-otel-" + Guid.NewGuid().ToString("N")[..8]);
        await using var azurite = await AzuriteProcess.StartAsync(AzuriteInstallation.Locate(RepositoryPaths.Root).PackageDirectory, Path.Combine(root, "azurite"), 0, NullLogger.Instance);
        await using var host = await ClusterProcess.StartAsync(Path.Combine(root, "home"), FreePort.Next(), azurite.ConnectionString, "--otel-console");
        using var http = new HttpClient { BaseAddress = host.ApiAddress };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/api/v1/namespaces/default")).StatusCode);

        // The HTTP request's span and Grainetes' span for the verb, written in a batch shortly after.
        var output = await Poll.UntilAsync(
            () => Task.FromResult(host.Output),
            o => o.Contains("/api/v1/namespaces/default", StringComparison.Ordinal) && o.Contains("get namespaces", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            "request spans on the console");
        Assert.Contains("Activity.TraceId", output);

        var metrics = await http.GetAsync("/metrics");
        Assert.Equal(System.Net.HttpStatusCode.OK, metrics.StatusCode);
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE grainetes_api_request_duration_seconds histogram", text);
        Assert.Contains("verb=\"get\"", text);
    }
}
