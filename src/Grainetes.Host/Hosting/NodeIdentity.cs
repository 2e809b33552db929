using System.Net;
using System.Net.Sockets;

namespace Grainetes.Host.Hosting;

/// <summary>
/// The name this host registers as a node (<c>--node-name</c>, default the host name) and its address
/// (<c>--advertise-address</c> when given, else the host's first non-loopback IPv4 address).
/// </summary>
public sealed record NodeIdentity(string Name, string HostIP)
{
    public static NodeIdentity Detect(string? name, string? advertiseAddress = null) =>
        new(string.IsNullOrEmpty(name) ? Dns.GetHostName().ToLowerInvariant() : name, advertiseAddress ?? PrimaryAddress());

    private static string PrimaryAddress()
    {
        try
        {
            return Dns.GetHostAddresses(Dns.GetHostName())
                .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))?.ToString() ?? "127.0.0.1";
        }
        catch (SocketException)
        {
            return "127.0.0.1";
        }
    }
}
