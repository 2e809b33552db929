using System.Net;
using System.Net.Sockets;

namespace Grainetes.Tests.Streaming;

/// <summary>Two ends of a real TCP connection on loopback, for protocol tests that need a duplex byte stream.</summary>
internal sealed class LoopbackPair : IAsyncDisposable
{
    private LoopbackPair(Socket client, Socket server)
    {
        ClientSocket = client;
        ServerSocket = server;
        Client = new NetworkStream(client, ownsSocket: false);
        Server = new NetworkStream(server, ownsSocket: false);
    }

    public Socket ClientSocket { get; }

    public Socket ServerSocket { get; }

    public NetworkStream Client { get; }

    public NetworkStream Server { get; }

    public static async Task<LoopbackPair> CreateAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = listener.AcceptSocketAsync();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        return new LoopbackPair(client, await accept);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Server.DisposeAsync();
        ClientSocket.Dispose();
        ServerSocket.Dispose();
    }
}
