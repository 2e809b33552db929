using System.Net;
using System.Net.Sockets;

namespace Grainetes.Grains.Services;

/// <summary>
/// An IPv4 CIDR as offsets from its base address, so allocators can walk it with plain arithmetic. Offset 0 is
/// the network address and <see cref="Size"/> − 1 the broadcast address; neither is ever handed out.
/// </summary>
internal sealed class Ipv4Range
{
    private readonly uint baseAddress;

    public Ipv4Range(string cidr, int maxPrefixLength = 30)
    {
        var network = IPNetwork.Parse(cidr);
        if (network.BaseAddress.AddressFamily != AddressFamily.InterNetwork || network.PrefixLength > maxPrefixLength)
        {
            throw new InvalidOperationException($"The range {cidr} must be an IPv4 range of at least {1L << (32 - maxPrefixLength)} addresses.");
        }

        Cidr = cidr;
        baseAddress = ToUInt32(network.BaseAddress);
        Size = 1L << (32 - network.PrefixLength);
    }

    public string Cidr { get; }

    /// <summary>How many addresses the range spans, network and broadcast included.</summary>
    public long Size { get; }

    /// <summary>The address's offset in the range, or null when it lies outside (or is not IPv4).</summary>
    public long? Offset(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            return null;
        }

        var offset = (long)ToUInt32(address) - baseAddress;
        return offset >= 0 && offset < Size ? offset : null;
    }

    /// <summary>The offset of a textual address, or null when it does not parse or lies outside.</summary>
    public long? Offset(string address) => IPAddress.TryParse(address, out var parsed) ? Offset(parsed) : null;

    /// <summary>Whether the address is one the range may hand out (neither its network nor its broadcast address).</summary>
    public bool IsUsable(string address) => Offset(address) is > 0 and var o && o < Size - 1;

    public string Address(long offset)
    {
        var value = (uint)(baseAddress + offset);
        return new IPAddress([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]).ToString();
    }

    private static uint ToUInt32(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
    }
}
