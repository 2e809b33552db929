using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>Finds the host's primary IPv4 address, which processes of the process runtime are reached at.</summary>
internal static class HostAddress
{
    public static string PrimaryIPv4()
    {
        try
        {
            IPAddress? fallback = null;
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus != OperationalStatus.Up
                    || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback
                    || IsVirtualBridge(nic.Name))
                {
                    continue;
                }

                var properties = nic.GetIPProperties();
                var address = properties.UnicastAddresses
                    .Select(u => u.Address)
                    .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
                if (address is null)
                {
                    continue;
                }

                // The interface with the default route is the primary one.
                if (properties.GatewayAddresses.Any(g => g.Address.AddressFamily == AddressFamily.InterNetwork))
                {
                    return address.ToString();
                }

                fallback ??= address;
            }

            return (fallback ?? IPAddress.Loopback).ToString();
        }
        catch (NetworkInformationException)
        {
            return IPAddress.Loopback.ToString();
        }
    }

    // Bridges and veths of container engines are not where the host is reached from outside.
    private static bool IsVirtualBridge(string name) =>
        name.StartsWith("docker", StringComparison.Ordinal)
        || name.StartsWith("br-", StringComparison.Ordinal)
        || name.StartsWith("veth", StringComparison.Ordinal)
        || name.StartsWith("cni", StringComparison.Ordinal);
}
