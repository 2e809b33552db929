using System.Net;
using System.Net.Sockets;

namespace Grainetes.NodeAgent.Proxy;

/// <summary>
/// Opens the proxy's listening sockets (service addresses, node ports and the relay), bound exclusively. No
/// <c>ReuseAddress</c>: on Linux .NET maps it to <c>SO_REUSEPORT</c>, and a second listener on the same port (another
/// cluster on this host, a leftover silo) would silently take half of the connections. .NET's bind already sets plain
/// <c>SO_REUSEADDR</c> on TCP sockets, so a restarted silo still rebinds while its old connections sit in TIME_WAIT.
/// </summary>
internal static class ListenerSocket
{
    private const int Backlog = 512;

    /// <exception cref="SocketException">The address is taken, or not an address of this host.</exception>
    public static Socket Open(IPEndPoint address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(address);
            socket.Listen(Backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
