using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Grainetes.NodeAgent.Proxy;

/// <summary>
/// One listening address of a service port (its cluster IP and port, or a node port). Each accepted connection gets
/// an endpoint from the port's <see cref="ServiceBalancer"/> and is pumped to it; with no endpoint ready it is reset
/// at once. Connections live on their own: closing the listener (a rule went away) leaves established ones alone.
/// </summary>
public sealed partial class TcpFrontend : IDisposable
{
    private readonly Socket listener;
    private readonly Func<Backend, CancellationToken, Task<Socket>> connect;
    private readonly ProxyOptions options;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly CancellationToken connectionsStop;

    /// <param name="connectionsStop">Ends established connections (the silo is stopping); disposing the listener does not.</param>
    public TcpFrontend(
        IPEndPoint address,
        ServiceBalancer balancer,
        Func<Backend, CancellationToken, Task<Socket>> connect,
        ProxyOptions options,
        ILogger logger,
        CancellationToken connectionsStop)
    {
        Address = address;
        Balancer = balancer;
        this.connect = connect;
        this.options = options;
        this.logger = logger;
        this.connectionsStop = connectionsStop;
        listener = ListenerSocket.Open(address);

        // Several accepts outstanding: one loop would serialize connection set-up under concurrent clients.
        for (var i = 0; i < Math.Max(2, Environment.ProcessorCount); i++)
        {
            _ = AcceptLoopAsync();
        }
    }

    public IPEndPoint Address { get; }

    /// <summary>The balancer of the service port this address serves; replaced when the address moves to another port.</summary>
    public ServiceBalancer Balancer { get; set; }

    public void Dispose()
    {
        stopping.Cancel();
        listener.Dispose();
        stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (stopping.IsCancellationRequested)
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
        var from = (client.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        var balancer = Balancer;
        Backend? failed = null;
        for (var attempt = 0; attempt < Math.Max(1, options.ConnectAttempts); attempt++)
        {
            var backend = balancer.Pick(from, failed);
            if (backend is null)
            {
                break;
            }

            Socket upstream;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(connectionsStop);
                timeout.CancelAfter(options.ConnectTimeout);
                upstream = await connect(backend, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
            {
                LogConnectFailed(Address, backend, e.Message);
                failed = backend;
                if (connectionsStop.IsCancellationRequested)
                {
                    break;
                }

                continue;
            }

            await SocketPump.RunAsync(client, upstream, connectionsStop).ConfigureAwait(false);
            return;
        }

        // No endpoint ready (or none answered): refuse now rather than leave the client waiting.
        SocketPump.Abort(client);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Proxy {Frontend} could not reach endpoint {Backend}: {Reason}")]
    private partial void LogConnectFailed(IPEndPoint frontend, Backend backend, string reason);
}
