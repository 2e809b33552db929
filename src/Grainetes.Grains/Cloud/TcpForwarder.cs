using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Grainetes.Grains.Cloud;

/// <summary>
/// One listening address and port whose connections are relayed, byte for byte in both directions, to a port on
/// 127.0.0.1. Half-closes pass through (a client that shuts down its sending side gets the rest of the answer).
/// Disposing closes the listener and every relayed connection, as a deleted balancer would.
/// </summary>
internal sealed partial class TcpForwarder : IAsyncDisposable
{
    private const int BufferSize = 16 * 1024;

    private readonly Socket listener;
    private readonly ILogger logger;
    private readonly CancellationTokenSource closing = new();
    private readonly Task accepting;
    private int targetPort;

    private TcpForwarder(Socket listener, int targetPort, ILogger logger)
    {
        this.listener = listener;
        this.targetPort = targetPort;
        this.logger = logger;
        accepting = AcceptAsync();
    }

    /// <summary>The loopback port new connections go to; changing it leaves open connections where they are.</summary>
    public int TargetPort
    {
        get => Volatile.Read(ref targetPort);
        set => Volatile.Write(ref targetPort, value);
    }

    /// <exception cref="SocketException">The address and port cannot be bound (in use, or not a local address).</exception>
    public static TcpForwarder Open(IPEndPoint endpoint, int targetPort, ILogger logger)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // No ReuseAddress: on Linux .NET maps it to SO_REUSEPORT, and two listeners (another cluster on this machine
            // using the same range) would silently split the traffic. One listener per host is enough; a second silo on
            // the host fails here and retries, taking over if the first goes.
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new TcpForwarder(socket, targetPort, logger);
    }

    public async ValueTask DisposeAsync()
    {
        await closing.CancelAsync();
        listener.Dispose();
        try
        {
            await accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Closed on purpose.
        }

        closing.Dispose();
    }

    private async Task AcceptAsync()
    {
        await Task.Yield();
        while (!closing.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(closing.Token);
            }
            catch (SocketException ex) when (!closing.IsCancellationRequested)
            {
                // Out of descriptors or an aborted handshake: this connection is lost, the listener is not.
                LogAcceptFailed(ex.Message);
                await Task.Delay(100, closing.Token);
                continue;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(closing.Token);
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (client)
        {
            try
            {
                client.NoDelay = true;
                await upstream.ConnectAsync(new IPEndPoint(IPAddress.Loopback, TargetPort), connection.Token);
                await Task.WhenAll(PumpAsync(client, upstream, connection), PumpAsync(upstream, client, connection));
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A refused upstream or a reset peer ends this connection only; the client sees it closed.
                LogRelayEnded(ex.Message);
            }
        }
    }

    private static async Task PumpAsync(Socket from, Socket to, CancellationTokenSource connection)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer.AsMemory(0, BufferSize), SocketFlags.None, connection.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, connection.Token);
            }
        }
        catch
        {
            // Either side failing ends both directions.
            await connection.CancelAsync();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accepting a load balancer connection failed: {Reason}")]
    private partial void LogAcceptFailed(string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Load balancer connection ended: {Reason}")]
    private partial void LogRelayEnded(string reason);
}
