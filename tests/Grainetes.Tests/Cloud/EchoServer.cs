using System.Net;
using System.Net.Sockets;

namespace Grainetes.Tests.Cloud;

/// <summary>A TCP echo listener on 127.0.0.1: it stands in for the host proxy on a service's NodePort.</summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stop = new();
    private readonly Task serving;

    private EchoServer(TcpListener listener)
    {
        this.listener = listener;
        serving = ServeAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    /// <summary>Listens on a free port in the NodePort range, so the service can ask for exactly that NodePort.</summary>
    public static EchoServer StartInNodePortRange()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var listener = new TcpListener(IPAddress.Loopback, Random.Shared.Next(31000, 32700));
            try
            {
                listener.Start();
                return new EchoServer(listener);
            }
            catch (SocketException)
            {
                listener.Dispose();
            }
        }

        throw new InvalidOperationException("No free port in 31000-32700 on 127.0.0.1.");
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        try
        {
            await serving;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped on purpose.
        }

        listener.Dispose();
        stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(stop.Token);
            _ = EchoAsync(client);
        }
    }

    private async Task EchoAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                await client.GetStream().CopyToAsync(client.GetStream(), stop.Token);
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // The client went away.
            }
        }
    }
}
