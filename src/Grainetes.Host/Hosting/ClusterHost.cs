using System.Net;
using System.Security.Cryptography.X509Certificates;
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
using Azure.Data.Tables;
using Orleans.Configuration;
using Orleans.Connections.Security;

namespace Grainetes.Host.Hosting;

/// <summary>Runs one silo with its API server, and Azurite beside it when no storage account is given.</summary>
public static class ClusterHost
{
    public static async Task<int> RunAsync(UpSettings settings, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.Home);
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        // SIGINT, SIGTERM and an internal stop (the silo declared dead) all take the one bounded path below.
        using var signals = new StopSignals(loggerFactory.CreateLogger("Grainetes.Host"));
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, signals.Stopping);
        try
        {
            return await RunUntilStoppedAsync(settings, loggerFactory, stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped while starting: what had started is already stopped and disposed.
            return 0;
        }
    }

    private static async Task<int> RunUntilStoppedAsync(UpSettings settings, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        // Disposed last: Azurite (when it is ours) stops after the silo no longer needs it.
        await using var storage = await LocalStorage.StartAsync(settings, loggerFactory.CreateLogger("Grainetes.Storage"), cancellationToken);
        ClusterPki pki;
        ClusterSecret secret;
        try
        {
            (pki, secret) = await EstablishCredentialsAsync(settings, storage.ConnectionString, cancellationToken);
        }
        catch (ClusterJoinException ex)
        {
            await Console.Error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }

        var identity = NodeIdentity.Detect(settings.NodeName, settings.AdvertiseAddress);
        await PreviousIncarnations.RetireAsync(storage.ConnectionString, settings.ClusterId, identity.Name, loggerFactory.CreateLogger("Grainetes.Membership"), cancellationToken);
        var app = Build(settings, storage.ConnectionString, pki);
        var stop = new GracefulStop(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostStopOptions>>().Value, storage.ConnectionString, loggerFactory.CreateLogger("Grainetes.Host"));
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await StopAndDisposeAsync(app, stop);
            throw;
        }

        var kubeconfig = Path.Combine(settings.Home, "kubeconfig");
        var server = new Uri($"{(settings.InsecureHttp ? "http" : "https")}://127.0.0.1:{settings.ApiPort}");
        // Not cancelled by a stop: a started host is only ever left through the stop below.
        await new Kubeconfig.KubeconfigWriter().WriteAsync(kubeconfig, server, settings.InsecureHttp ? null : AdminCredentials(pki), CancellationToken.None);
        var join = await JoinCommandFile.WriteAsync(settings.Home, storage.ConnectionString, secret, CancellationToken.None);
        Console.WriteLine($"Grainetes is ready: API {server.ToString().TrimEnd('/')}, kubeconfig {kubeconfig}");
        Console.WriteLine($"  export KUBECONFIG={kubeconfig}");
        Console.WriteLine($"  other hosts join with (also in {JoinCommandFile.PathIn(settings.Home)}; it holds the cluster secret):");
        Console.WriteLine($"  {join}");
        // A signal, or a part of the host asking to stop (Orleans does when membership declares this silo dead).
        var stopRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => stopRequested.TrySetResult()))
        using (app.Lifetime.ApplicationStopping.Register(() => stopRequested.TrySetResult()))
        {
            await stopRequested.Task;
        }

        await StopAndDisposeAsync(app, stop);
        return 0;
    }

    private static async Task StopAndDisposeAsync(WebApplication app, GracefulStop stop)
    {
        if (await stop.StopAsync(app))
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>Brings <c>HOME/pki</c> in line with the cluster's keys in the storage account, then builds the host.</summary>
    public static async Task<WebApplication> BuildAsync(UpSettings settings, string connectionString, TelemetryExporters? exporters = null, CancellationToken cancellationToken = default)
    {
        var (pki, _) = await EstablishCredentialsAsync(settings, connectionString, cancellationToken);
        var identity = NodeIdentity.Detect(settings.NodeName, settings.AdvertiseAddress);
        await PreviousIncarnations.RetireAsync(connectionString, settings.ClusterId, identity.Name, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, cancellationToken);
        return Build(settings, connectionString, pki, exporters);
    }

    private static Task<(ClusterPki Pki, ClusterSecret Secret)> EstablishCredentialsAsync(UpSettings settings, string connectionString, CancellationToken cancellationToken)
    {
        var identity = NodeIdentity.Detect(settings.NodeName, settings.AdvertiseAddress);
        return ClusterCredentials.EstablishAsync(settings, connectionString, ServingNames(identity), ServingAddresses(identity), TimeProvider.System, cancellationToken);
    }

    /// <param name="exporters">Telemetry exporters beside the console, OTLP and <c>/metrics</c> (tests export to memory).</param>
    /// <param name="pki">This host's certificates and the cluster's keys, as <see cref="ClusterCredentials"/> left them.</param>
    public static WebApplication Build(UpSettings settings, string connectionString, ClusterPki pki, TelemetryExporters? exporters = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        var identity = NodeIdentity.Detect(settings.NodeName, settings.AdvertiseAddress);
        var advertise = IPAddress.Parse(settings.AdvertiseAddress ?? "127.0.0.1");
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Azure", LogLevel.Warning);
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.Services.AddSingleton(pki);
        builder.WebHost.ConfigureKestrel(k =>
        {
            // Loopback for this host's own clients, the advertised address for the other hosts' relays and users.
            foreach (var address in IPAddress.IsLoopback(advertise) ? [IPAddress.Loopback] : new[] { IPAddress.Loopback, advertise })
            {
                k.Listen(address, settings.ApiPort, listen =>
                {
                    if (!settings.InsecureHttp)
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
            }

            k.Limits.MaxRequestBodySize = 4 * 1024 * 1024;
        });
        IServiceProvider? services = null;
        builder.UseOrleans(silo =>
        {
            // Membership lives in the storage account beside the objects, so any host that can reach it can join.
            silo.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connectionString));
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = advertise;
                o.SiloPort = settings.SiloPort;
                o.GatewayPort = settings.GatewayPort;
                o.SiloListeningEndpoint = new IPEndPoint(advertise, settings.SiloPort);
                o.GatewayListeningEndpoint = new IPEndPoint(advertise, settings.GatewayPort);
            });
            silo.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection("Orleans:Membership"));

            // Mutual TLS with certificates of the cluster CA: a host that lacks the cluster secret has no such certificate,
            // so its connections are refused and it never becomes an active member.
            silo.UseTls(pki.LoadSiloCertificate(), tls =>
            {
                tls.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
                tls.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
                tls.RemoteCertificateValidation = (certificate, chain, errors) =>
                    services!.GetRequiredService<SiloPeerValidator>().Validate(certificate, chain, errors);
            });
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
            silo.AddGrainetesCloud();
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
                docker.Owner = Grainetes.NodeAgent.Runtime.Docker.DockerOwner.For(identity.Name, settings.Home);
            },
            process => process.RootDirectory = Path.Combine(settings.Home, "process-runtime"));
        builder.Services.Configure<ApiServerOptions>(builder.Configuration.GetSection(ApiServerOptions.SectionName));
        builder.Services.Configure<Grainetes.NodeAgent.Runtime.Docker.DockerRuntimeOptions>(builder.Configuration.GetSection(Grainetes.NodeAgent.Runtime.Docker.DockerRuntimeOptions.SectionName));
        builder.Services.Configure<Grainetes.NodeAgent.Metrics.MetricsOptions>(builder.Configuration.GetSection(Grainetes.NodeAgent.Metrics.MetricsOptions.SectionName));
        builder.Services.Configure<Grainetes.Grains.Controllers.HorizontalPodAutoscalerControllerOptions>(builder.Configuration.GetSection("HorizontalPodAutoscaler"));
        builder.Services.Configure<Grainetes.NodeAgent.Proxy.ProxyOptions>(builder.Configuration.GetSection(Grainetes.NodeAgent.Proxy.ProxyOptions.SectionName));
        builder.Services.Configure<Grainetes.NodeAgent.Kubelet.KubeletOptions>(builder.Configuration.GetSection(Grainetes.NodeAgent.Kubelet.KubeletOptions.SectionName));
        builder.Services.AddGrainetesApiServer(o => o.AdvertisedAddress = new IPEndPoint(advertise, settings.ApiPort).ToString());
        if (!settings.InsecureHttp)
        {
            // Issued afresh at each start and kept in memory: the relay's identity is this host's node, from the cluster CA.
            var (certificatePem, keyPem) = pki.IssueClientCertificate(
                Grainetes.ApiServer.Streaming.NodeRelayCredentials.NodeUser(identity.Name), [Grainetes.Machinery.Security.BootstrapPolicy.NodesGroup], TimeProvider.System);
            builder.Services.AddSingleton(new Grainetes.ApiServer.Streaming.NodeRelayCredentials(
                pki.LoadCaCertificate(), X509Certificate2.CreateFromPem(certificatePem, keyPem)));
        }

        builder.Services.AddSingleton(sp => new SiloPeerValidator(pki.LoadCaCertificate(), TimeProvider.System, sp.GetRequiredService<ILogger<SiloPeerValidator>>()));
        builder.Services.Configure<ApiSecurityOptions>(builder.Configuration.GetSection(ApiSecurityOptions.SectionName));
        builder.Services.Configure<ApiSecurityOptions>(o =>
        {
            o.Insecure = settings.InsecureHttp;
            o.TokenAuthFile = settings.TokenAuthFile ?? o.TokenAuthFile;
            o.ClientCaFile = settings.InsecureHttp ? null : pki.CaCertificateFile;
            o.ServiceAccountKeyFile = settings.InsecureHttp ? null : pki.ServiceAccountKeyFile;
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
        builder.Services.Configure<HostStopOptions>(builder.Configuration.GetSection(HostStopOptions.SectionName));
        builder.Services.AddSingleton<IHostLifetime, QuietHostLifetime>();

        var app = builder.Build();
        services = app.Services;

        app.UseGrainetesApiTelemetry();
        app.UseGrainetesApiErrors();
        app.UseGrainetesApiSecurity();
        app.MapGrainetesApi();
        app.MapGrainetesMetrics();
        return app;
    }

    private static KubeconfigCredentials AdminCredentials(ClusterPki pki) => new()
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
        // The advertised address is the node's InternalIP (identity.HostIP) when given; the detected one is kept too.
        if (IPAddress.TryParse(identity.HostIP, out var host) && !addresses.Contains(host))
        {
            addresses.Add(host);
        }

        return addresses.ToArray();
    }

    /// <summary>Node name plus a digest of the home directory: stable across restarts of this host, unique per cluster on one daemon.</summary>
}
