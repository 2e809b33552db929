using Grainetes.Host.Azurite;
using Grainetes.Host.Cli;
using Grainetes.Host.Hosting;
using Grainetes.Host.Kubeconfig;
using Grainetes.Host.Telemetry;
using Grainetes.Tests.EndToEnd;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;
using OpenTelemetry.Trace;

namespace Grainetes.Tests.Telemetry;

/// <summary>
/// The real host (<see cref="ClusterHost.Build"/>: API server, silo, controllers, scheduler, node agent with the
/// process runtime) run in this process on its own Azurite, with an in-memory span exporter beside its usual ones.
/// Once up, it applies one Deployment with real kubectl, waits (<c>kubectl rollout status</c>) until its pod is Ready and
/// opens one short watch, so the tests read the spans and metrics of a cluster that has done each thing once.
/// </summary>
public sealed class TracedClusterFixture : IAsyncLifetime
{
    public const string DeploymentName = "traced-web";

    private readonly string id = Guid.NewGuid().ToString("N")[..8];
    private readonly string root;
    private AzuriteProcess? azurite;
    private WebApplication? app;

    public TracedClusterFixture()
    {
        root = Path.Combine(Path.GetTempPath(), "grainetes-telemetry-" + id);
    }

    internal SpanLog Spans { get; } = new();

    internal Kubectl Kubectl => new(Path.Combine(root, "home", "kubeconfig"));

    public Uri ApiAddress { get; private set; } = null!;

    public string NodeName => "traced-" + id;

    public async Task InitializeAsync()
    {
        azurite = await AzuriteProcess.StartAsync(AzuriteInstallation.Locate(RepositoryPaths.Root).PackageDirectory, Path.Combine(root, "azurite"), 0, NullLogger.Instance);
        var settings = new UpSettings
        {
            Home = Path.Combine(root, "home"),
            ApiPort = FreePort.Next(),
            SiloPort = FreePort.Next(),
            GatewayPort = FreePort.Next(),
            OtelConsole = false,
            ClusterId = "grainetes-" + id,
            Runtime = "process",
            NodeName = NodeName,
            InsecureHttp = true,
        };
        Directory.CreateDirectory(settings.Home);
        ApiAddress = new Uri($"http://127.0.0.1:{settings.ApiPort}");
        app = await ClusterHost.BuildAsync(settings, azurite.ConnectionString, new TelemetryExporters(Tracing: t => t.AddInMemoryExporter(Spans)));
        await app.StartAsync();
        await new KubeconfigWriter().WriteAsync(Path.Combine(settings.Home, "kubeconfig"), ApiAddress);

        await Poll.UntilAsync(
            async () => (await Kubectl.RunAsync($"get node {NodeName} -o jsonpath={{.status.conditions[?(@.type==\"Ready\")].status}}")).Stdout.Trim(),
            ready => ready == "True",
            TimeSpan.FromSeconds(60),
            "node Ready");

        var apply = await Kubectl.RunAsync("apply -f -", stdin: $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{DeploymentName}}
            spec:
              replicas: 1
              selector:
                matchLabels: {app: {{DeploymentName}}}
              template:
                metadata:
                  labels: {app: {{DeploymentName}}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: web
                    image: grainetes/busybox:test
                    command: ["sleep", "3600"]
            """);
        apply.EnsureSuccess();
        (await Kubectl.RunAsync($"rollout status deployment/{DeploymentName} --timeout=60s", timeout: TimeSpan.FromSeconds(70))).EnsureSuccess();

        // rollout status may be satisfied by its list before its watch opens: one short watch for certain.
        using var http = new HttpClient { BaseAddress = ApiAddress };
        await http.GetStringAsync("/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1");
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            // The process runtime's containers outlive the host by design: stop them through the cluster first.
            await Kubectl.RunAsync($"delete deployment {DeploymentName} --wait=true", timeout: TimeSpan.FromSeconds(30));
            await Kubectl.RunAsync($"wait --for=delete pod -l app={DeploymentName} --timeout=30s", timeout: TimeSpan.FromSeconds(40));
            await app.StopAsync();
            await app.DisposeAsync();
        }

        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }

        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind harms nothing.
        }
    }
}
