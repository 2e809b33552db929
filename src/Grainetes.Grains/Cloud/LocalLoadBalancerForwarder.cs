using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Services;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.Grains.Cloud;

/// <summary>
/// The data path of the local cloud provider, on every silo: follows the services' change log (a list, then long
/// polls) and keeps one <see cref="TcpForwarder"/> per LoadBalancer address and TCP port, relaying to the port's
/// NodePort on 127.0.0.1. It is driven by <c>status.loadBalancer</c>, which the controller writes once the address
/// is allocated, so a restarted silo listens again from the services alone. A deleted service, one being deleted,
/// or one whose type leaves LoadBalancer loses its listeners. Nothing here runs inside a grain call.
/// </summary>
public sealed partial class LocalLoadBalancerForwarder(
    IGrainFactory grains,
    IOptions<CloudOptions> cloud,
    IOptions<LocalCloudOptions> options,
    TimeProvider time,
    ILogger<LocalLoadBalancerForwarder> logger) : BackgroundService
{
    private static readonly TimeSpan PollWait = TimeSpan.FromSeconds(10);

    private readonly Ipv4Range range = new(options.Value.AddressRange);
    private readonly Dictionary<string, JsonObject> services = new(StringComparer.Ordinal);
    private readonly Dictionary<IPEndPoint, TcpForwarder> listening = [];
    private readonly Dictionary<IPEndPoint, DateTimeOffset> failedUntil = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (cloud.Value.Provider != LocalCloudProvider.Name)
        {
            return;
        }

        var collection = grains.GetGrain<IResourceCollectionGrain>("services");
        long? after = null;
        var failures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (after is null)
                    {
                        var listed = await collection.List(new ListRequest());
                        services.Clear();
                        foreach (var svc in listed.Items.Select(i => JsonNode.Parse(i)!.AsObject()).Where(IsLoadBalancer))
                        {
                            services[Key(svc)] = svc;
                        }

                        after = listed.ResourceVersion;
                    }
                    else
                    {
                        var batch = await collection.Poll(after.Value, null, PollWait);
                        if (batch.Gone)
                        {
                            after = null;
                            continue;
                        }

                        foreach (var change in batch.Events)
                        {
                            // Only LoadBalancers are kept: other services never need a listener.
                            var key = change.Namespace + "/" + change.Name;
                            var svc = JsonNode.Parse(change.Json)!.AsObject();
                            if (change.Type == WatchEventType.Deleted || !IsLoadBalancer(svc))
                            {
                                services.Remove(key);
                            }
                            else
                            {
                                services[key] = svc;
                            }
                        }

                        after = batch.Events.Count > 0 ? batch.Events[^1].ResourceVersion : Math.Max(after.Value, batch.LatestResourceVersion);
                    }

                    failures = 0;
                    await ApplyAsync(Desired());
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // The silo is still starting, or storage hiccupped: list afresh after a pause.
                    failures++;
                    after = null;
                    LogFollowFailed(ex);
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(10_000, 250 * failures)), stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            await ApplyAsync([]);
        }
    }

    /// <summary>Every LoadBalancer address and TCP port the services want, with the NodePort each relays to.</summary>
    private Dictionary<IPEndPoint, int> Desired()
    {
        var desired = new Dictionary<IPEndPoint, int>();
        foreach (var svc in services.Values)
        {
            if (svc["metadata"]?["deletionTimestamp"] is not null)
            {
                continue;
            }

            var addresses = (svc["status"]?["loadBalancer"]?["ingress"] as JsonArray)?.OfType<JsonObject>()
                .Select(i => ServiceSpecs.Str(i["ip"]))
                .Where(ip => ip is not null && range.IsUsable(ip))
                .Select(ip => IPAddress.Parse(ip!)) ?? [];
            foreach (var address in addresses)
            {
                foreach (var port in ServiceSpecs.Ports(svc))
                {
                    if ((ServiceSpecs.Str(port["protocol"]) ?? "TCP") == "TCP"
                        && Grainetes.Machinery.Resources.JsonNumbers.ToInt32(port["port"]) is > 0 and var number
                        && Grainetes.Machinery.Resources.JsonNumbers.ToInt32(port["nodePort"]) is > 0 and var nodePort)
                    {
                        desired[new IPEndPoint(address, number)] = nodePort;
                    }
                }
            }
        }

        return desired;
    }

    private async Task ApplyAsync(Dictionary<IPEndPoint, int> desired)
    {
        foreach (var (endpoint, forwarder) in listening.Where(l => !desired.ContainsKey(l.Key)).ToList())
        {
            listening.Remove(endpoint);
            await forwarder.DisposeAsync();
            LogClosed(endpoint.ToString());
        }

        var now = time.GetUtcNow();
        foreach (var (endpoint, nodePort) in desired)
        {
            if (listening.TryGetValue(endpoint, out var open))
            {
                open.TargetPort = nodePort;
                continue;
            }

            if (failedUntil.TryGetValue(endpoint, out var until) && until > now)
            {
                continue;
            }

            try
            {
                listening[endpoint] = TcpForwarder.Open(endpoint, nodePort, logger);
                failedUntil.Remove(endpoint);
                LogListening(endpoint.ToString(), nodePort);
            }
            catch (SocketException ex)
            {
                if (failedUntil.TryAdd(endpoint, now + options.Value.ListenRetryPeriod))
                {
                    LogListenFailed(ex, endpoint.ToString());
                }
                else
                {
                    failedUntil[endpoint] = now + options.Value.ListenRetryPeriod;
                }
            }
        }

        foreach (var endpoint in failedUntil.Keys.Where(e => !desired.ContainsKey(e)).ToList())
        {
            failedUntil.Remove(endpoint);
        }
    }

    private static bool IsLoadBalancer(JsonObject svc) => ServiceSpecs.Type(svc) == "LoadBalancer";

    private static string Key(JsonObject svc) =>
        ServiceSpecs.Str(svc["metadata"]?["namespace"]) + "/" + ServiceSpecs.Str(svc["metadata"]?["name"]);

    [LoggerMessage(Level = LogLevel.Information, Message = "Load balancer listening on {Endpoint}, forwarding to 127.0.0.1:{NodePort}")]
    private partial void LogListening(string endpoint, int nodePort);

    [LoggerMessage(Level = LogLevel.Information, Message = "Load balancer listener on {Endpoint} closed")]
    private partial void LogClosed(string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Load balancer cannot listen on {Endpoint}; retrying")]
    private partial void LogListenFailed(Exception ex, string endpoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Following services for load balancer listeners failed; listing afresh")]
    private partial void LogFollowFailed(Exception ex);
}
