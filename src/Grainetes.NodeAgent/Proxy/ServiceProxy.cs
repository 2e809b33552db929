using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Events;
using Grainetes.Grains.Services;
using Grainetes.NodeAgent.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.NodeAgent.Proxy;

/// <summary>
/// This host's kube-proxy, a userspace proxy in the silo. It mirrors services, EndpointSlices and nodes (list, then
/// change logs), and keeps one listener per cluster IP and port and per node port (on every host address), each
/// balancing new connections over the port's ready endpoints. Endpoints on other nodes are reached through their
/// node's <see cref="ProxyRelay"/>. Cluster IPs are made local by one route for the whole service range, on the
/// pods' bridge when there is one (so pods reach them), else on <c>lo</c>. Everything is rebuilt from a fresh list
/// after a restart; established connections never depend on the rules that opened them. An address that cannot be
/// bound is retried on each resync; one taken by another process (another cluster on this host) is also reported
/// once, as a Warning event on its Service, until it binds.
/// </summary>
public sealed partial class ServiceProxy(
    IGrainFactory grains,
    EventRecorder events,
    HostPodNetwork podNetwork,
    IOptions<ProxyOptions> options,
    IOptions<ServiceNetworkOptions> serviceNetwork,
    IOptions<NodeAgentOptions> nodeAgent,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers) : BackgroundService
{
    public const string RelayPortAnnotation = "grainetes.io/proxy-relay-port";

    /// <summary>The reason of the Warning event recorded on a service whose address or node port this host cannot bind.</summary>
    public const string BindFailedReason = "FailedToBindPort";

    private readonly ILogger logger = loggers.CreateLogger<ServiceProxy>();
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, ServiceBalancer> balancers = new(StringComparer.Ordinal);
    private readonly Dictionary<IPEndPoint, TcpFrontend> frontends = [];
    private readonly HashSet<IPEndPoint> unbound = [];
    private readonly HashSet<IPEndPoint> reported = [];
    private volatile HashSet<IPEndPoint> localBackends = [];
    private volatile Dictionary<string, IPEndPoint> relays = new(StringComparer.Ordinal);
    private CancellationToken stopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        stopping = stoppingToken;

        // Bind nothing before the host has started: the relay's free port must not take one the API server is about
        // to listen on (a restarted host binds the same API port again).
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        var node = nodeAgent.Value.NodeName;
        using var relay = StartRelay(stoppingToken);
        var poll = options.Value.PollInterval;
        var services = new CollectionMirror(grains, "services", poll, Wake, time, logger);
        var slices = new CollectionMirror(grains, "endpointslices.discovery.k8s.io", poll, Wake, time, logger);
        var nodes = new CollectionMirror(grains, "nodes", poll, Wake, time, logger);
        var followers = new[] { services.RunAsync(stoppingToken), slices.RunAsync(stoppingToken), nodes.RunAsync(stoppingToken) };
        var setup = SetUpAsync(node, relay?.Port, stoppingToken);
        LogStarted(node, relay?.Port ?? 0);
        try
        {
            using var resync = new PeriodicTimer(options.Value.ResyncInterval, time);
            var tick = resync.WaitForNextTickAsync(stoppingToken).AsTask();
            var ticks = 0;
            var woken = wake.Reader.WaitToReadAsync(stoppingToken).AsTask();
            while (!stoppingToken.IsCancellationRequested)
            {
                var which = await Task.WhenAny(tick, woken);
                await which;
                if (which == tick)
                {
                    tick = resync.WaitForNextTickAsync(stoppingToken).AsTask();

                    // The route is checked again when a listen failed (it may be what is missing) and once a minute.
                    if (unbound.Count > 0 || ++ticks % 6 == 0)
                    {
                        await EnsureRouteAsync(stoppingToken);
                    }

                    unbound.Clear();
                }
                else
                {
                    wake.Reader.TryRead(out _);
                    woken = wake.Reader.WaitToReadAsync(stoppingToken).AsTask();
                }

                // Until services and slices are both listed, an empty copy would look like "no endpoints": wait.
                if (services.Listed && slices.Listed)
                {
                    try
                    {
                        Apply(node, services.Snapshot(), slices.Snapshot(), nodes.Snapshot());
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        // A hosted service that throws stops the silo: one bad rule must not take the host down.
                        LogApplyFailed(ex);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var frontend in frontends.Values)
            {
                frontend.Dispose();
            }

            frontends.Clear();
            await Task.WhenAll(followers.Append(setup).Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    private void Wake() => wake.Writer.TryWrite(true);

    /// <summary>The relay for other hosts' proxies; null (and endpoints here unreachable from other hosts) when its port is taken.</summary>
    private ProxyRelay? StartRelay(CancellationToken stoppingToken)
    {
        try
        {
            return new ProxyRelay(new IPEndPoint(IPAddress.Any, options.Value.RelayPort), target => localBackends.Contains(target), stoppingToken);
        }
        catch (SocketException ex)
        {
            LogRelayFailed(options.Value.RelayPort, ex.Message);
            return null;
        }
    }

    private async Task SetUpAsync(string node, int? relayPort, CancellationToken stoppingToken)
    {
        await EnsureRouteAsync(stoppingToken);
        if (relayPort is null)
        {
            return;
        }

        // The relay port changes with each start: publish it on the node (which may not be registered yet).
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var patch = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [RelayPortAnnotation] = relayPort.Value.ToString(CultureInfo.InvariantCulture) } },
                };
                await grains.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", node).GrainKey)
                    .Patch(patch.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" });
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPublishFailed(ex, node);
                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken);
            }
        }
    }

    private async Task EnsureRouteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var network = await podNetwork.GetAsync(stoppingToken);
            var device = network.Interface ?? "lo";
            if (await ClusterIpRoute.EnsureAsync(serviceNetwork.Value.ServiceCidr, device, stoppingToken) is { } problem)
            {
                LogRouteFailed(serviceNetwork.Value.ServiceCidr, device, problem);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The runtime may not be up yet; the next resync tries again.
            LogRouteFailed(serviceNetwork.Value.ServiceCidr, "?", ex.Message);
        }
    }

    private void Apply(string node, IReadOnlyList<JsonObject> services, IReadOnlyList<JsonObject> slices, IReadOnlyList<JsonObject> nodes)
    {
        relays = RelayAddresses(nodes);
        var rules = ProxyRules.Build(services, slices);
        var wanted = new Dictionary<IPEndPoint, ServiceBalancer>();
        var local = new HashSet<IPEndPoint>();
        var liveBalancers = new HashSet<string>(StringComparer.Ordinal);
        var owners = new Dictionary<IPEndPoint, string>();
        foreach (var rule in rules)
        {
            if (rule.Protocol != "TCP")
            {
                continue;
            }

            if (!balancers.TryGetValue(rule.Key, out var balancer))
            {
                balancer = new ServiceBalancer(time);
                balancers[rule.Key] = balancer;
            }

            balancer.Update(rule.Backends, rule.AffinityTimeout);
            liveBalancers.Add(rule.Key);
            foreach (var backend in rule.Backends)
            {
                if ((backend.NodeName is null || backend.NodeName == node) && IPAddress.TryParse(backend.Address, out var ip))
                {
                    local.Add(new IPEndPoint(ip, backend.Port));
                }
            }

            if (rule.ClusterIP is { } clusterIP && IPAddress.TryParse(clusterIP, out var address))
            {
                wanted[new IPEndPoint(address, rule.Port)] = balancer;
                owners[new IPEndPoint(address, rule.Port)] = rule.Key;
            }

            if (rule.NodePort > 0)
            {
                wanted[new IPEndPoint(IPAddress.Any, rule.NodePort)] = balancer;
                owners[new IPEndPoint(IPAddress.Any, rule.NodePort)] = rule.Key;
            }
        }

        localBackends = local;
        reported.RemoveWhere(a => !wanted.ContainsKey(a));
        foreach (var key in balancers.Keys.Where(k => !liveBalancers.Contains(k)).ToList())
        {
            balancers.Remove(key);
        }

        foreach (var (address, frontend) in frontends.Where(f => !wanted.ContainsKey(f.Key)).ToList())
        {
            frontend.Dispose();
            frontends.Remove(address);
            LogUnbound(address);
        }

        foreach (var (address, balancer) in wanted)
        {
            if (frontends.TryGetValue(address, out var existing))
            {
                existing.Balancer = balancer;
                continue;
            }

            if (unbound.Contains(address))
            {
                continue;
            }

            try
            {
                frontends[address] = new TcpFrontend(address, balancer, ConnectAsync, options.Value, logger, stopping);
                reported.Remove(address);
                LogBound(address, balancer.Backends.Count);
            }
            catch (SocketException ex)
            {
                // Taken (another cluster on this host) or not local (no route yet): the next resync tries again.
                unbound.Add(address);
                LogBindFailed(address, ex.Message);
                // Reported only when taken: a cluster IP not yet local is the route's problem, logged as such at start.
                if (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && reported.Add(address))
                {
                    _ = ReportBindFailedAsync(node, owners[address], services, address, ex.Message);
                }
            }
        }
    }

    /// <summary>A Warning event on the service whose port could not be bound, so <c>kubectl describe</c> shows why it is unreachable.</summary>
    private async Task ReportBindFailedAsync(string node, string ruleKey, IReadOnlyList<JsonObject> services, IPEndPoint address, string reason)
    {
        // A rule key is namespace/name:port; neither a namespace nor a name holds a colon.
        var serviceKey = ruleKey[..ruleKey.IndexOf(':', StringComparison.Ordinal)];
        var service = services.FirstOrDefault(s => $"{(string?)s["metadata"]?["namespace"]}/{(string?)s["metadata"]?["name"]}" == serviceKey);
        if (service?["metadata"] is not JsonObject meta)
        {
            return;
        }

        var involved = new JsonObject
        {
            ["kind"] = "Service",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = (string?)meta["name"],
                ["namespace"] = (string?)meta["namespace"],
                ["uid"] = (string?)meta["uid"],
                ["resourceVersion"] = (string?)meta["resourceVersion"],
            },
        };
        var port = address.Address.Equals(IPAddress.Any) ? $"node port {address.Port}" : $"{address}";
        try
        {
            await events.RecordAsync(involved, "Warning", BindFailedReason, $"Cannot listen on {port} on node {node}: {reason}; retrying", "kube-proxy", node);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Best effort: the warning in the log stands; the port itself is retried on the next resync either way.
            LogReportFailed(ex, address);
        }
    }

    private async Task<Socket> ConnectAsync(Backend backend, CancellationToken cancellationToken)
    {
        var node = nodeAgent.Value.NodeName;
        if (backend.NodeName is { } owner && owner != node && relays.TryGetValue(owner, out var relay))
        {
            return await ProxyRelay.ConnectThroughAsync(relay, backend, cancellationToken);
        }

        var target = new IPEndPoint(IPAddress.Parse(backend.Address), backend.Port);
        var socket = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Each node's relay: its InternalIP and the port its proxy published.</summary>
    private static Dictionary<string, IPEndPoint> RelayAddresses(IReadOnlyList<JsonObject> nodes)
    {
        var result = new Dictionary<string, IPEndPoint>(StringComparer.Ordinal);
        foreach (var n in nodes)
        {
            var name = (string?)n["metadata"]?["name"];
            var port = (string?)n["metadata"]?["annotations"]?[RelayPortAnnotation];
            var internalIP = (n["status"]?["addresses"] as JsonArray)?
                .FirstOrDefault(a => (string?)a?["type"] == "InternalIP")?["address"]?.GetValue<string>();
            if (name is not null && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p)
                && IPAddress.TryParse(internalIP, out var ip))
            {
                result[name] = new IPEndPoint(ip, p);
            }
        }

        return result;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Service proxy of node {Node} started; relay on port {RelayPort}")]
    private partial void LogStarted(string node, int relayPort);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxying {Address} over {Endpoints} ready endpoints")]
    private partial void LogBound(IPEndPoint address, int endpoints);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped proxying {Address}")]
    private partial void LogUnbound(IPEndPoint address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot listen on {Address} for a service: {Reason}; trying again later")]
    private partial void LogBindFailed(IPEndPoint address, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording the bind failure of {Address} as an event failed")]
    private partial void LogReportFailed(Exception ex, IPEndPoint address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot make the service range {Cidr} local on {Device}: {Reason}; cluster IPs stay unreachable")]
    private partial void LogRouteFailed(string cidr, string device, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rebuilding the service proxy's rules failed")]
    private partial void LogApplyFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot listen on relay port {Port}: {Reason}; other hosts cannot reach this host's endpoints")]
    private partial void LogRelayFailed(int port, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Publishing the proxy relay port on node {Node} failed; trying again")]
    private partial void LogPublishFailed(Exception ex, string node);
}
