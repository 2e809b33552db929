using Grainetes.Host.Azurite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.EndToEnd;

/// <summary><c>--otel-console</c> exports traces of API requests and grain calls, and metrics, to the console.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task OtelConsoleExportsRequestAndGrainCallTraces()
    {
        var root = Path.Combine(Path.GetTempPath(), "grainetes-otel-" + Guid.NewGuid().ToString("N")[..8]);
        await using var azurite = await AzuriteProcess.StartAsync(AzuriteInstallation.Locate(RepositoryPaths.Root).PackageDirectory, Path.Combine(root, "azurite"), 0, NullLogger.Instance);
        await using var host = await ClusterProcess.StartAsync(Path.Combine(root, "home"), FreePort.Next(), azurite.ConnectionString, "--otel-console");
        using var http = new HttpClient { BaseAddress = host.ApiAddress };
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync("/api/v1/namespaces/default")).StatusCode);

        var output = await Poll.UntilAsync(
            () => Task.FromResult(host.Output),
            o => o.Contains("/api/v1/namespaces/default", StringComparison.Ordinal) && o.Contains("IObjectGrain", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            "request and grain call spans on the console");
        Assert.Contains("Activity.TraceId", output);
    }
}
