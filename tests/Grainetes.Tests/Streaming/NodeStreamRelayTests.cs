using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Grainetes.ApiServer.Streaming;
using Grainetes.Tests.EndToEnd;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static Grainetes.Tests.Streaming.RelayTestApps;

namespace Grainetes.Tests.Streaming;

/// <summary>
/// The relay between API servers: a "front" Kestrel app relays every request to a "node" Kestrel app, as the API
/// server of one silo relays a pod's streams to the silo of the pod's node.
/// </summary>
public sealed class NodeStreamRelayTests : IAsyncLifetime
{
    private readonly int nodePort = FreePort.Next();
    private readonly int frontPort = FreePort.Next();
    private readonly NodeStreamRelay relay = new(NullLogger<NodeStreamRelay>.Instance);
    private WebApplication? node;
    private WebApplication? front;

    public async Task InitializeAsync()
    {
        node = App(nodePort);
        node.Map("/api/v1/namespaces/ns/pods/p/exec", async (HttpContext context) =>
        {
            var relayedBy = context.Request.Headers[StreamProtocols.RelayedHeader].ToString();
            using var socket = await HttpUpgrade.AcceptWebSocketAsync(context, RemoteCommandChannels.Negotiate(HttpUpgrade.OfferedSubprotocols(context.Request)));
            await socket.SendAsync(Encoding.UTF8.GetBytes("relayed by " + relayedBy), WebSocketMessageType.Binary, true, CancellationToken.None);
            var buffer = new byte[1024];
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            await socket.SendAsync(buffer.AsMemory(0, received.Count), WebSocketMessageType.Binary, true, CancellationToken.None);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        });
        node.Map("/api/v1/namespaces/ns/pods/p/portforward", async (HttpContext context) =>
        {
            await using var stream = await HttpUpgrade.AcceptSpdyAsync(context, StreamProtocols.PortForward);
            var buffer = new byte[1024];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read));
                await stream.FlushAsync();
            }
        });
        node.Map("/api/v1/namespaces/ns/pods/gone/exec", (HttpContext context) =>
        {
            context.Response.StatusCode = 400;
            context.Response.ContentType = "application/json";
            return context.Response.WriteAsync($$"""{"kind":"Status","message":"container not found, query {{context.Request.QueryString}}"}""");
        });
        front = App(frontPort);
        front.Map("/{**path}", (HttpContext context) => relay.RelayAsync(context, new Uri($"http://127.0.0.1:{nodePort}"), "front-node", context.RequestAborted));
        await node.StartAsync();
        await front.StartAsync();
    }

    public async Task DisposeAsync()
    {
        relay.Dispose();
        foreach (var app in new[] { front, node })
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task AWebSocketIsSplicedThroughWithItsSubprotocol()
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(StreamProtocols.ChannelV5);
        socket.Options.AddSubProtocol(StreamProtocols.ChannelV4);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{frontPort}/api/v1/namespaces/ns/pods/p/exec?command=ls&stdout=true"), CancellationToken.None);
        Assert.Equal(StreamProtocols.ChannelV5, socket.SubProtocol);

        Assert.Equal("relayed by front-node", await ReceiveTextAsync(socket));
        await socket.SendAsync(new byte[] { 0, 0x68, 0x69 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal("\0hi", await ReceiveTextAsync(socket));
        var buffer = new byte[16];
        var closing = await socket.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Close, closing.MessageType);
    }

    [Fact]
    public async Task ASpdyUpgradeIsSplicedThroughByteForByte()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, frontPort);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /api/v1/namespaces/ns/pods/p/portforward HTTP/1.1\r\nHost: 127.0.0.1:{frontPort}\r\nContent-Length: 0\r\n" +
            "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n"));
        var head = await ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 101", head, StringComparison.Ordinal);
        Assert.Contains("X-Stream-Protocol-Version: portforward.k8s.io", head, StringComparison.OrdinalIgnoreCase);

        var payload = new byte[100_000];
        Random.Shared.NextBytes(payload);
        var send = stream.WriteAsync(payload).AsTask();
        var echoed = new byte[payload.Length];
        await stream.ReadExactlyAsync(echoed).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await send;
        Assert.Equal(payload, echoed);
    }

    [Fact]
    public async Task ARefusalComesBackAsTheNodeSentIt()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync($"http://127.0.0.1:{frontPort}/api/v1/namespaces/ns/pods/gone/exec?container=c");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"kind":"Status","message":"container not found, query ?container=c"}""", await response.Content.ReadAsStringAsync());
    }


    private static async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new StringBuilder();
        var one = new byte[1];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            await stream.ReadExactlyAsync(one, timeout.Token);
            head.Append((char)one[0]);
        }

        return head.ToString();
    }
}
