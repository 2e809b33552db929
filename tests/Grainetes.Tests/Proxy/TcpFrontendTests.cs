using System.Net;
using System.Net.Sockets;
using System.Text;
using Grainetes.NodeAgent.Proxy;
using Grainetes.Tests.EndToEnd;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.Proxy;

/// <summary>The proxy's listener on real loopback sockets: balancing, refusing, and connections outliving their rule.</summary>
public sealed class TcpFrontendTests : IAsyncLifetime
{
    private readonly List<TcpListener> servers = [];
    private readonly CancellationTokenSource stop = new();
    private readonly ProxyOptions options = new() { ConnectTimeout = TimeSpan.FromSeconds(5) };

    public Task InitializeAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            var server = new TcpListener(IPAddress.Loopback, 0);
            server.Start();
            servers.Add(server);
            _ = ServeAsync(server, "backend-" + i);
        }

        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        stop.Cancel();
        servers.ForEach(s => s.Stop());
        stop.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task ConnectionsAreSpreadRoundRobinAcrossEveryEndpoint()
    {
        using var frontend = Frontend(out var address, Backends());

        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await AskAsync(address, "ping"));
        }

        Assert.Equal(["backend-0 ping", "backend-1 ping", "backend-2 ping", "backend-0 ping", "backend-1 ping", "backend-2 ping"], answers);
    }

    [Fact]
    public async Task AServiceWithoutEndpointsResetsTheConnectionAtOnce()
    {
        using var frontend = Frontend(out var address, []);

        Assert.Equal(SocketError.ConnectionReset, await ResetOrHangAsync(address));
    }

    /// <summary>
    /// Connects and reads: a reset (at the connect, when it comes that fast, or at the read) ends it at once; a hang
    /// runs into the bound and reads as <see cref="SocketError.TimedOut"/>.
    /// </summary>
    internal static async Task<SocketError> ResetOrHangAsync(IPEndPoint address)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await client.ConnectAsync(address, bound.Token);
            var read = await client.ReceiveAsync(new byte[16].AsMemory(), SocketFlags.None, bound.Token);
            return read == 0 ? SocketError.Disconnecting : SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
        catch (OperationCanceledException)
        {
            return SocketError.TimedOut;
        }
    }

    [Fact]
    public async Task AnEndpointThatRefusesIsSkipped()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var dead = new Backend("127.0.0.1", ((IPEndPoint)closed.LocalEndpoint).Port, null);
        closed.Stop();
        using var frontend = Frontend(out var address, [dead, Backends()[0]]);

        Assert.Equal("backend-0 a", await AskAsync(address, "a"));
        Assert.Equal("backend-0 b", await AskAsync(address, "b"));
    }

    [Fact]
    public async Task AnEstablishedConnectionOutlivesItsListener()
    {
        var frontend = Frontend(out var address, Backends());
        using var client = new TcpClient();
        await client.ConnectAsync(address);
        var stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        await stream.WriteAsync(Encoding.ASCII.GetBytes("first\n"));
        Assert.Equal("backend-0 first", await reader.ReadLineAsync());

        frontend.Dispose();

        await stream.WriteAsync(Encoding.ASCII.GetBytes("second\n"));
        Assert.Equal("backend-0 second", await reader.ReadLineAsync());
    }

    [Fact]
    public async Task TheRelayReachesOnlyEndpointsItIsToldAbout()
    {
        var allowed = new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)servers[1].LocalEndpoint).Port);
        using var relay = new ProxyRelay(new IPEndPoint(IPAddress.Loopback, 0), target => target.Equals(allowed), stop.Token);
        var relayAddress = new IPEndPoint(IPAddress.Loopback, relay.Port);

        using (var through = await ProxyRelay.ConnectThroughAsync(relayAddress, new Backend("127.0.0.1", allowed.Port, "other"), stop.Token))
        {
            await through.SendAsync(Encoding.ASCII.GetBytes("hop\n"));
            using var reader = new StreamReader(new NetworkStream(through), Encoding.ASCII);
            Assert.Equal("backend-1 hop", await reader.ReadLineAsync());
        }

        using var refused = await ProxyRelay.ConnectThroughAsync(relayAddress, Backends()[0], stop.Token);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var error = await Assert.ThrowsAsync<SocketException>(async () => await refused.ReceiveAsync(new byte[16].AsMemory(), SocketFlags.None, bound.Token));
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [Fact]
    public void AProxyListenerDoesNotShareAnAddressAnotherSocketHolds()
    {
        // The other socket asks for sharing (ReuseAddress is SO_REUSEPORT on Linux); a proxy that asked too would get in.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        var address = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        holder.Bind(address);
        holder.Listen(16);
        var balancer = new ServiceBalancer(TimeProvider.System);
        balancer.Update(Backends(), affinity: null);

        var frontend = Assert.Throws<SocketException>(() => new TcpFrontend(address, balancer, ConnectAsync, options, NullLogger.Instance, stop.Token));
        var relay = Assert.Throws<SocketException>(() => new ProxyRelay(address, _ => true, stop.Token));

        Assert.Equal(SocketError.AddressAlreadyInUse, frontend.SocketErrorCode);
        Assert.Equal(SocketError.AddressAlreadyInUse, relay.SocketErrorCode);
    }

    [Fact]
    public async Task AProxyListenerRebindsWhileItsClosedConnectionsLingerInTimeWait()
    {
        var address = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        using (var first = ListenerSocket.Open(address))
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(address);
            using (var served = await first.AcceptAsync())
            {
                // The listening side closes first, so it is that side's connection that waits in TIME_WAIT.
                served.Shutdown(SocketShutdown.Both);
            }

            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Assert.Equal(0, await client.ReceiveAsync(new byte[1].AsMemory(), SocketFlags.None, bound.Token));
        }

        // As a restarted silo does: the same address at once, while that connection lingers.
        using var second = ListenerSocket.Open(address);
        Assert.Equal(address, second.LocalEndPoint);
    }

    private List<Backend> Backends() => servers.Select(s => new Backend("127.0.0.1", ((IPEndPoint)s.LocalEndpoint).Port, null)).ToList();

    private TcpFrontend Frontend(out IPEndPoint address, IReadOnlyList<Backend> backends)
    {
        var balancer = new ServiceBalancer(TimeProvider.System);
        balancer.Update(backends, affinity: null);
        var port = FreePort.Next();
        address = new IPEndPoint(IPAddress.Loopback, port);
        return new TcpFrontend(address, balancer, ConnectAsync, options, NullLogger.Instance, stop.Token);
    }

    private static async Task<Socket> ConnectAsync(Backend backend, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(backend.Address), backend.Port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<string> AskAsync(IPEndPoint address, string line)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(address);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        return await reader.ReadLineAsync() ?? "";
    }

    /// <summary>Answers each line with its name and the line, until the client closes.</summary>
    private async Task ServeAsync(TcpListener server, string name)
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await server.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    using var reader = new StreamReader(stream, Encoding.ASCII);
                    while (await reader.ReadLineAsync() is { } line)
                    {
                        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{name} {line}\n"));
                    }
                }
            });
        }
    }
}
