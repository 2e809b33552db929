using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Grainetes.NodeAgent.Proxy;

/// <summary>
/// How another host's proxy reaches this host's pods, whose addresses are not routable off this host: it connects to
/// the relay port and sends one line, <c>ip:port\n</c>, naming an endpoint; the relay connects to it (only to
/// endpoints of this node that some service proxies, so it is no open proxy) and pumps the rest of the stream.
/// </summary>
public sealed class ProxyRelay : IDisposable
{
    private const int MaxHeader = 64;

    private readonly Socket listener;
    private readonly Func<IPEndPoint, bool> allowed;
    private readonly CancellationToken stop;

    public ProxyRelay(IPEndPoint address, Func<IPEndPoint, bool> allowed, CancellationToken stop)
    {
        this.allowed = allowed;
        this.stop = stop;
        listener = ListenerSocket.Open(address);
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _ = AcceptLoopAsync();
    }

    public int Port { get; }

    /// <summary>Connects to <paramref name="relay"/> and asks it for <paramref name="backend"/>; the socket is then the endpoint's stream.</summary>
    public static async Task<Socket> ConnectThroughAsync(IPEndPoint relay, Backend backend, CancellationToken cancellationToken)
    {
        var socket = new Socket(relay.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(relay, cancellationToken).ConfigureAwait(false);
            await socket.SendAsync(Encoding.ASCII.GetBytes($"{backend.Address}:{backend.Port}\n"), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public void Dispose() => listener.Dispose();

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (stop.IsCancellationRequested || !listener.IsBound)
                {
                    return;
                }

                continue;
            }

            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        client.NoDelay = true;
        var buffer = new byte[MaxHeader];
        var length = 0;
        var newline = -1;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            while (newline < 0 && length < MaxHeader)
            {
                var read = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                newline = Array.IndexOf(buffer, (byte)'\n', length, read);
                length += read;
            }

            if (newline < 0 || !IPEndPoint.TryParse(Encoding.ASCII.GetString(buffer, 0, newline), out var target) || !allowed(target))
            {
                SocketPump.Abort(client);
                return;
            }

            var upstream = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await upstream.ConnectAsync(target, timeout.Token).ConfigureAwait(false);

                // Whatever the client sent after the header already belongs to the endpoint.
                if (length > newline + 1)
                {
                    await upstream.SendAsync(buffer.AsMemory(newline + 1, length - newline - 1), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                }
            }
            catch
            {
                upstream.Dispose();
                throw;
            }

            await SocketPump.RunAsync(client, upstream, stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            SocketPump.Abort(client);
        }
    }
}
