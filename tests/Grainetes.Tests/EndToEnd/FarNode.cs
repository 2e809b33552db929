using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Grainetes.ApiServer.Streaming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.EndToEnd;

/// <summary>
/// The streaming endpoint of a node that is not the test cluster's own, standing in for another silo's API server:
/// an exec answers with fixed output and exit code 7, a port-forward reaches this app's own <c>/index.html</c>, and
/// every request records which node relayed it.
/// </summary>
internal sealed class FarNode : IAsyncDisposable
{
    public const string Page = "served by the far node";

    private readonly WebApplication app;

    public FarNode()
    {
        Port = FreePort.Next();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, Port));
        app = builder.Build();
        app.MapGet("/index.html", () => Page);
        app.Map("/api/v1/namespaces/{ns}/pods/{pod}/exec", ExecAsync);
        app.Map("/api/v1/namespaces/{ns}/pods/{pod}/portforward", PortForwardAsync);
    }

    public int Port { get; }

    /// <summary>The <c>X-Grainetes-Stream-Relayed-By</c> of every request, in order.</summary>
    public List<string> RelayedBy { get; } = [];

    public Task StartAsync() => app.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task ExecAsync(HttpContext context)
    {
        Record(context);
        var protocol = RemoteCommandChannels.Negotiate(HttpUpgrade.OfferedSubprotocols(context.Request));
        using var socket = await HttpUpgrade.AcceptWebSocketAsync(context, protocol);
        var command = string.Join(" ", context.Request.Query["command"].ToArray());
        await socket.SendAsync(RemoteCommandChannels.Frame(RemoteCommandChannels.Stdout, Encoding.UTF8.GetBytes($"far node ran: {command}\n")), WebSocketMessageType.Binary, true, context.RequestAborted);
        await RemoteCommandBridge.CloseWithStatusAsync(socket, RemoteCommandStatus.ExitCode(7, [command]), context.RequestAborted);
        var buffer = new byte[1024];
        while ((await socket.ReceiveAsync(buffer, context.RequestAborted)).MessageType != WebSocketMessageType.Close)
        {
        }
    }

    private async Task PortForwardAsync(HttpContext context)
    {
        Record(context);
        var server = new PortForwardServer(ConnectToSelfAsync, "far", NullLogger.Instance);
        using var socket = await HttpUpgrade.AcceptWebSocketAsync(context, StreamProtocols.SpdyTunnelPrefix + StreamProtocols.PortForward);
        await using var stream = new WebSocketByteStream(socket);
        await server.RunAsync(stream, context.RequestAborted);
    }

    private async Task<Socket> ConnectToSelfAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cancellationToken);
        return socket;
    }

    private void Record(HttpContext context)
    {
        lock (RelayedBy)
        {
            RelayedBy.Add(context.Request.Headers[StreamProtocols.RelayedHeader].ToString());
        }
    }
}
