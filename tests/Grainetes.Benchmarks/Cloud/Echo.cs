using System.Net;
using System.Net.Sockets;

namespace Grainetes.Benchmarks.Cloud;

/// <summary>A TCP echo server on 127.0.0.1 at a free port in the NodePort range: the stand-in for the host proxy.</summary>
public sealed class Echo : IDisposable
{
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stop = new();

    private Echo(TcpListener listener)
    {
        this.listener = listener;
        _ = ServeAsync();
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

    public static Echo Start()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var listener = new TcpListener(IPAddress.Loopback, Random.Shared.Next(31000, 32700));
            try
            {
                listener.Start();
                return new Echo(listener);
            }
            catch (SocketException)
            {
                listener.Dispose();
            }
        }

        throw new InvalidOperationException("no free port in 31000-32700 on 127.0.0.1");
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Dispose();
        stop.Dispose();
    }

    private async Task ServeAsync()
    {
        try
        {
            while (true)
            {
                var client = await listener.AcceptSocketAsync(stop.Token).ConfigureAwait(false);
                _ = EchoAsync(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private static async Task EchoAsync(Socket client)
    {
        using (client)
        {
            client.NoDelay = true;
            var buffer = new byte[64 * 1024];
            try
            {
                int read;
                while ((read = await client.ReceiveAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    await client.SendAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
                }

                client.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // The client went away.
            }
        }
    }
}
