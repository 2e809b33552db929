using System.Net;
using System.Net.Sockets;
using System.Text;
using Grainetes.ApiServer.Streaming;
using Grainetes.ApiServer.Streaming.Spdy;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.Streaming;

public sealed class PortForwardServerTests
{
    [Fact]
    public async Task AStreamPairReachesThePortAndBothStreamsCloseWhenThePodSideEnds()
    {
        using var echo = new TcpListener(IPAddress.Loopback, 0);
        echo.Start();
        var port = ((IPEndPoint)echo.LocalEndpoint).Port;
        var served = EchoOnceAsync(echo);
        await using var pair = await LoopbackPair.CreateAsync();
        var server = new PortForwardServer(ConnectLoopbackAsync, "web", NullLogger.Instance);
        var run = server.RunAsync(pair.Server, CancellationToken.None);
        await using var client = new SpdyTestClient(pair.Client);

        // As kubectl does: the error stream (closed at once from the client's side), then the data stream.
        await client.SendAsync(new SpdySynStreamFrame(1, 0, 0, false, false, Headers("error", port, "0")));
        await client.SendAsync(new SpdyDataFrame(1, true, ReadOnlyMemory<byte>.Empty));
        await client.SendAsync(new SpdySynStreamFrame(3, 0, 0, false, false, Headers("data", port, "0")));
        await client.SendAsync(new SpdyDataFrame(3, false, Encoding.ASCII.GetBytes("ping ")));
        await client.SendAsync(new SpdyDataFrame(3, true, Encoding.ASCII.GetBytes("pong")));

        Assert.Equal("ping pong", Encoding.ASCII.GetString(await client.ReadToEndAsync(3)));
        Assert.Empty(await client.ReadToEndAsync(1));
        Assert.Equal("ping pong", await served.WaitAsync(TimeSpan.FromSeconds(10)));

        pair.ClientSocket.Shutdown(SocketShutdown.Both);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task APortNobodyListensOnIsReportedOnTheErrorStream()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var pair = await LoopbackPair.CreateAsync();
        var server = new PortForwardServer(ConnectLoopbackAsync, "web", NullLogger.Instance);
        var run = server.RunAsync(pair.Server, CancellationToken.None);
        await using var client = new SpdyTestClient(pair.Client);

        // No requestid header (an old client): the pair is found from consecutive stream ids.
        await client.SendAsync(new SpdySynStreamFrame(5, 0, 0, true, false, Headers("error", port, null)));
        await client.SendAsync(new SpdySynStreamFrame(7, 0, 0, false, false, Headers("data", port, null)));

        var message = Encoding.UTF8.GetString(await client.ReadToEndAsync(5));
        Assert.StartsWith($"error forwarding port {port} to pod web:", message, StringComparison.Ordinal);
        Assert.Empty(await client.ReadToEndAsync(7));

        pair.ClientSocket.Shutdown(SocketShutdown.Both);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AStreamWithoutItsPairIsRefusedAfterTheTimeoutAndABadPortIsAnError()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        var server = new PortForwardServer(ConnectLoopbackAsync, "web", NullLogger.Instance) { PairTimeout = TimeSpan.FromMilliseconds(200) };
        var run = server.RunAsync(pair.Server, CancellationToken.None);
        await using var client = new SpdyTestClient(pair.Client);

        await client.SendAsync(new SpdySynStreamFrame(1, 0, 0, false, false, Headers("data", 80, "lonely")));
        var frames = await client.WaitForAsync(f => f.OfType<SpdyRstStreamFrame>().Any(), "the reset of the lone stream");
        Assert.Equal(SpdyRstStatus.RefusedStream, frames.OfType<SpdyRstStreamFrame>().Single().Status);

        await client.SendAsync(new SpdySynStreamFrame(3, 0, 0, false, false, new Dictionary<string, string> { ["streamtype"] = "error", ["port"] = "http", ["requestid"] = "1" }));
        await client.SendAsync(new SpdySynStreamFrame(5, 0, 0, false, false, new Dictionary<string, string> { ["streamtype"] = "data", ["port"] = "http", ["requestid"] = "1" }));
        Assert.Equal("invalid port \"http\"", Encoding.UTF8.GetString(await client.ReadToEndAsync(3)));

        pair.ClientSocket.Shutdown(SocketShutdown.Both);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static Dictionary<string, string> Headers(string type, int port, string? requestId)
    {
        var headers = new Dictionary<string, string> { ["streamtype"] = type, ["port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (requestId is not null)
        {
            headers["requestid"] = requestId;
        }

        return headers;
    }

    private static async Task<Socket> ConnectLoopbackAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Echoes one connection until the client half-closes, then closes; returns what it got.</summary>
    private static async Task<string> EchoOnceAsync(TcpListener listener)
    {
        using var socket = await listener.AcceptSocketAsync();
        var got = new StringBuilder();
        var buffer = new byte[1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            got.Append(Encoding.ASCII.GetString(buffer, 0, read));
            await socket.SendAsync(buffer.AsMemory(0, read));
        }

        socket.Shutdown(SocketShutdown.Both);
        return got.ToString();
    }
}
