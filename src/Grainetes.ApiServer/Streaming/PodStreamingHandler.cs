using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Abstractions.Streaming;
using Grainetes.ApiServer.Http;
using Grainetes.Machinery.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// <c>pods/exec</c>, <c>pods/attach</c> and <c>pods/portforward</c> (GET or POST with an upgrade). The request is
/// checked against the pod first, so that mistakes come back as plain <c>Status</c> answers; then a pod on this
/// silo's own node is served here through the local kubelet (<see cref="INodeStreaming"/>), and any other pod's
/// request is relayed to its node's API endpoint (<see cref="NodeStreamRelay"/>).
/// </summary>
public sealed partial class PodStreamingHandler(
    IGrainFactory grains,
    IServiceProvider services,
    NodeStreamRelay relay,
    RemoteCommandBridge bridge,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers)
{
    /// <summary>How long an exec's exit code may lag behind the end of its output.</summary>
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private readonly ILogger logger = loggers.CreateLogger<PodStreamingHandler>();

    public async Task HandleAsync(HttpContext context, ResourceRequest request)
    {
        var ns = request.Namespace!;
        var name = request.Name!;
        var json = await grains.GetGrain<IObjectGrain>(new ObjectKey("pods", ns, name).GrainKey).Get()
            ?? throw ApiException.NotFound("pods", name);
        var pod = JsonNode.Parse(json)!.AsObject();
        var node = (string?)pod["spec"]?["nodeName"];
        if (string.IsNullOrEmpty(node))
        {
            throw ApiException.BadRequest($"pod {name} does not have a host assigned");
        }

        ContainerStreamRequest? command = null;
        if (request.Subresource is "exec" or "attach")
        {
            command = RemoteCommandRequest.Parse(context.Request.Query, pod, request.Subresource == "exec");
            var phase = (string?)pod["status"]?["phase"];
            if (phase is "Succeeded" or "Failed")
            {
                throw ApiException.BadRequest($"cannot exec into or attach to a container in a completed pod; current phase is {phase}");
            }
        }

        var local = services.GetService<INodeStreaming>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        if (local is not null && local.NodeName == node)
        {
            if (command is not null)
            {
                await ServeRemoteCommandAsync(context, local, command, request.Subresource == "exec", stop.Token);
            }
            else
            {
                await ServePortForwardAsync(context, local, ns, name, stop.Token);
            }

            return;
        }

        if (context.Request.Headers.ContainsKey(StreamProtocols.RelayedHeader))
        {
            throw ApiException.ServiceUnavailable($"pod {name} runs on node {node}, which this host does not serve", 1);
        }

        var nodeJson = await grains.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", node).GrainKey).Get()
            ?? throw ApiException.ServiceUnavailable($"the node {node} of pod {name} does not exist", 1);
        var endpoint = KubeletEndpoint.Of(JsonNode.Parse(nodeJson)!)
            ?? throw ApiException.ServiceUnavailable($"node {node} advertises no kubelet endpoint to reach pod {name} through", 1);
        await relay.RelayAsync(context, endpoint, local?.NodeName ?? "", stop.Token);
    }

    private async Task ServeRemoteCommandAsync(HttpContext context, INodeStreaming local, ContainerStreamRequest command, bool exec, CancellationToken cancellationToken)
    {
        if (HttpUpgrade.IsSpdy(context.Request))
        {
            await ServeRemoteCommandOverSpdyAsync(context, local, command, exec, cancellationToken);
            return;
        }

        if (!HttpUpgrade.IsWebSocket(context.Request))
        {
            throw ApiException.BadRequest("Upgrade request required");
        }

        var offered = HttpUpgrade.OfferedSubprotocols(context.Request);
        var protocol = RemoteCommandChannels.Negotiate(offered)
            ?? throw ApiException.BadRequest($"unable to negotiate a stream protocol: the client offers [{string.Join(", ", offered)}], the server speaks [{StreamProtocols.ChannelV5}, {StreamProtocols.ChannelV4}]");

        // Started before the upgrade, so a container that is not running is a plain 400 the client can show.
        var session = exec ? await local.ExecAsync(command, cancellationToken) : await local.AttachAsync(command, cancellationToken);
        await using (session)
        {
            using var socket = await HttpUpgrade.AcceptWebSocketAsync(context, protocol);
            LogStreamStarted(exec ? "exec" : "attach", command.Namespace, command.Pod, command.Container, protocol);
            await bridge.RunAsync(socket, protocol, session, command.Command, ExitTimeout, cancellationToken);
        }
    }

    private async Task ServeRemoteCommandOverSpdyAsync(HttpContext context, INodeStreaming local, ContainerStreamRequest command, bool exec, CancellationToken cancellationToken)
    {
        var offered = HttpUpgrade.OfferedStreamProtocols(context.Request);
        if (!offered.Contains(StreamProtocols.ChannelV4, StringComparer.Ordinal))
        {
            throw ApiException.BadRequest($"unable to negotiate a stream protocol: the client offers [{string.Join(", ", offered)}], the server speaks [{StreamProtocols.ChannelV4}] over SPDY");
        }

        var session = exec ? await local.ExecAsync(command, cancellationToken) : await local.AttachAsync(command, cancellationToken);
        await using (session)
        {
            var connection = await HttpUpgrade.AcceptSpdyAsync(context, StreamProtocols.ChannelV4);
            LogStreamStarted(exec ? "exec" : "attach", command.Namespace, command.Pod, command.Container, StreamProtocols.Spdy);
            await using (connection)
            {
                await new SpdyRemoteCommandServer(loggers.CreateLogger<SpdyRemoteCommandServer>()).RunAsync(connection, command, session, ExitTimeout, cancellationToken);
            }
        }
    }

    private async Task ServePortForwardAsync(HttpContext context, INodeStreaming local, string ns, string name, CancellationToken cancellationToken)
    {
        var server = new PortForwardServer((port, ct) => local.ConnectPortAsync(ns, name, port, ct), name, loggers.CreateLogger<PortForwardServer>());
        if (HttpUpgrade.IsWebSocket(context.Request))
        {
            const string tunnel = StreamProtocols.SpdyTunnelPrefix + StreamProtocols.PortForward;
            var offered = HttpUpgrade.OfferedSubprotocols(context.Request);
            if (!offered.Contains(tunnel, StringComparer.Ordinal))
            {
                throw ApiException.BadRequest($"unable to negotiate a port-forward protocol: the client offers [{string.Join(", ", offered)}], the server speaks [{tunnel}]");
            }

            using var socket = await HttpUpgrade.AcceptWebSocketAsync(context, tunnel);
            LogStreamStarted("port-forward", ns, name, "", tunnel);
            await using (var stream = new WebSocketByteStream(socket))
            {
                await server.RunAsync(stream, cancellationToken);
            }

            try
            {
                await socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }
            catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or IOException or ObjectDisposedException)
            {
                // Already gone.
            }

            return;
        }

        if (!HttpUpgrade.IsSpdy(context.Request))
        {
            throw ApiException.BadRequest("Upgrade request required");
        }

        var protocols = HttpUpgrade.OfferedStreamProtocols(context.Request);
        if (!protocols.Contains(StreamProtocols.PortForward, StringComparer.Ordinal))
        {
            throw ApiException.BadRequest($"unable to negotiate a port-forward protocol: the client offers [{string.Join(", ", protocols)}], the server speaks [{StreamProtocols.PortForward}]");
        }

        var connection = await HttpUpgrade.AcceptSpdyAsync(context, StreamProtocols.PortForward);
        LogStreamStarted("port-forward", ns, name, "", StreamProtocols.Spdy);
        await using (connection)
        {
            await server.RunAsync(connection, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Streaming {Kind} for {Namespace}/{Pod} {Container} over {Protocol}")]
    private partial void LogStreamStarted(string kind, string @namespace, string pod, string container, string protocol);
}
