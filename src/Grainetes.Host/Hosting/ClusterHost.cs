using System.Net;
using Grainetes.ApiServer;
using Grainetes.ApiServer.Hosting;
using Grainetes.Grains.Hosting;
using Grainetes.ApiServer.Security;
using Grainetes.Host.Cli;
using Grainetes.Host.Kubeconfig;
using Grainetes.Host.Security;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Grainetes.Host.Telemetry;
using Grainetes.NodeAgent.Hosting;
using Grainetes.NodeAgent.Runtime;
using Orleans.Configuration;

namespace Grainetes.Host.Hosting;

/// <summary>Runs one silo with its API server, and Azurite beside it when no storage account is given.</summary>
public static class ClusterHost
{
    public static async Task<int> RunAsync(UpSettings settings, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.Home);
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        await using var storage = await LocalStorage.StartAsync(settings, loggerFactory.CreateLogger("Grainetes.Storage"), cancellationToken);
        var app = Build(settings, storage.ConnectionString);
        await app.StartAsync(cancellationToken);
        var kubeconfig = Path.Combine(settings.Home, "kubeconfig");
        var server = new Uri($"{(settings.InsecureHttp ? "http" : "https")}://127.0.0.1:{settings.ApiPort}");
        await new Kubeconfig.KubeconfigWriter().WriteAsync(kubeconfig, server, AdminCredentials(app.Services.GetService<ClusterPki>()), cancellationToken);
        Console.WriteLine($"Grainetes is ready: API {server.ToString().TrimEnd('/')}, kubeconfig {kubeconfig}");
        Console.WriteLine($"  export KUBECONFIG={kubeconfig}");
        await app.WaitForShutdownAsync(CancellationToken.None);
        await app.DisposeAsync();
        return 0;
    }

    /// <param name="exporters">Telemetry exporters beside the console, OTLP and <c>/metrics</c> (tests export to memory).</param>
    public static WebApplication Build(UpSettings settings, string connectionString, TelemetryExporters? exporters = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        var identity = NodeIdentity.Detect(settings.NodeName);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Azure", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        var pki = settings.InsecureHttp ? null : ClusterPki.LoadOrCreate(settings.Home, ServingNames(identity), ServingAddresses(identity), TimeProvider.System);
        if (pki is not null)
        {
            builder.Services.AddSingleton(pki);
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, settings.ApiPort, listen =>
            {
                if (pki is not null)
                {
                    listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = pki.LoadServingCertificate(),
                        // Any certificate is let through the handshake; the authenticator checks it against the CA,
                        // so a bad one is a 401 Status rather than a dropped connection.
                        ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                        ClientCertificateValidation = (_, _, _) => true,
                    });
                }
            });
            k.Limits.MaxRequestBodySize = 4 * 1024 * 1024;
        });
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, serviceId: settings.ClusterId, clusterId: settings.ClusterId);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = settings.ClusterId;
                o.ServiceId = settings.ClusterId;
            });
            silo.AddActivityPropagation();
            var secretsKey = SecretsEncryptionKey.LoadOrCreate(settings.Home, builder.Configuration["Store:SecretsEncryptionKey"]);
            silo.AddGrainetesGrains(o =>
            {
                o.ConnectionString = connectionString;
                o.SecretsEncryptionKey = secretsKey;
            });
            silo.AddGrainetesScheduler();
            silo.AddGrainetesControllers();
            silo.AddGrainetesNodeAgent(o =>
            {
                o.NodeName = identity.Name;
                o.HostIP = identity.HostIP;
            });
        });
        builder.Services.AddContainerRuntime(
            settings.Runtime,
            docker =>
            {
                docker.VolumeRoot = Path.Combine(settings.Home, "volumes");
                docker.Owner = DockerOwner(identity.Name, settings.Home);
            },
            process => process.RootDirectory = Path.Combine(settings.Home, "process-runtime"));
        builder.Services.Configure<ApiServerOptions>(builder.Configuration.GetSection(ApiServerOptions.SectionName));
        builder.Services.Configure<Grainetes.NodeAgent.Metrics.MetricsOptions>(builder.Configuration.GetSection(Grainetes.NodeAgent.Metrics.MetricsOptions.SectionName));
        builder.Services.Configure<Grainetes.Grains.Controllers.HorizontalPodAutoscalerControllerOptions>(builder.Configuration.GetSection("HorizontalPodAutoscaler"));
        builder.Services.Configure<Grainetes.NodeAgent.Proxy.ProxyOptions>(builder.Configuration.GetSection(Grainetes.NodeAgent.Proxy.ProxyOptions.SectionName));
        builder.Services.AddGrainetesApiServer(o => o.AdvertisedAddress = $"127.0.0.1:{settings.ApiPort}");
        builder.Services.Configure<ApiSecurityOptions>(builder.Configuration.GetSection(ApiSecurityOptions.SectionName));
        builder.Services.Configure<ApiSecurityOptions>(o =>
        {
            o.Insecure = settings.InsecureHttp;
            o.TokenAuthFile = settings.TokenAuthFile ?? o.TokenAuthFile;
            o.ClientCaFile = pki?.CaCertificateFile;
            o.ServiceAccountKeyFile = pki?.ServiceAccountKeyFile;
        });
        builder.Services.AddHostedService<ClusterBootstrapper>();
        builder.Services.AddSingleton(identity);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddHostedService<NodeRegistration>();
        builder.Services.Configure<Grainetes.Grains.Controllers.NodeLifecycleOptions>(o =>
        {
            o.NodeMonitorGracePeriod = settings.NodeMonitorGracePeriod;
            o.PodEvictionTimeout = settings.PodEvictionTimeout;
        });
        builder.Services.AddHostedService<ControlPlaneStarter>();
        builder.AddGrainetesTelemetry(settings.OtelConsole, identity.Name, exporters);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));

        var app = builder.Build();

        app.UseGrainetesApiTelemetry();
        app.UseGrainetesApiErrors();
        app.UseGrainetesApiSecurity();
        app.MapGrainetesApi();
        app.MapGrainetesMetrics();
        return app;
    }

    private static KubeconfigCredentials? AdminCredentials(ClusterPki? pki) => pki is null ? null : new KubeconfigCredentials
    {
        CertificateAuthorityPem = File.ReadAllText(pki.CaCertificateFile),
        ClientCertificatePem = File.ReadAllText(pki.AdminCertificateFile),
        ClientKeyPem = File.ReadAllText(pki.AdminKeyFile),
    };

    private static string[] ServingNames(NodeIdentity identity) =>
        new[] { "localhost", Environment.MachineName, identity.Name, "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local" }
            .Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    private static IPAddress[] ServingAddresses(NodeIdentity identity)
    {
        var addresses = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        if (IPAddress.TryParse(identity.HostIP, out var host) && !addresses.Contains(host))
        {
            addresses.Add(host);
        }

        return addresses.ToArray();
    }

    /// <summary>Node name plus a digest of the home directory: stable across restarts of this host, unique per cluster on one daemon.</summary>
    private static string DockerOwner(string node, string home) =>
        node + "." + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(home))))[..12];
}
