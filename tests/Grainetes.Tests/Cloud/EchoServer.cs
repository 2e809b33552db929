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

    /// <summary>Sends the text, half-closes, and reads until the peer closes; null when the connection fails.</summary>
    public static async Task<string?> RoundTripAsync(IPAddress address, int port, string text)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), timeout.Token);
            socket.Shutdown(SocketShutdown.Send);
            using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
            return await reader.ReadToEndAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return null;
        }
    }

    /// <summary>Whether a connection to the address and port is refused (nothing listens there).</summary>
    public static async Task<bool> RefusedAsync(IPAddress address, int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port));
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
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
