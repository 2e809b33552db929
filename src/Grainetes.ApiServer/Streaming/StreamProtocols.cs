namespace Grainetes.ApiServer.Streaming;

/// <summary>Names of the stream protocols kubectl speaks for exec, attach and port-forward.</summary>
public static class StreamProtocols
{
    /// <summary>The channel protocol with a close signal (kubectl 1.30+ over WebSocket).</summary>
    public const string ChannelV5 = "v5.channel.k8s.io";

    /// <summary>The channel protocol with <c>Status</c> errors and resize, without close (older clients, the C# client).</summary>
    public const string ChannelV4 = "v4.channel.k8s.io";

    /// <summary>Port-forward's protocol, carried by SPDY streams.</summary>
    public const string PortForward = "portforward.k8s.io";

    /// <summary>Prefix of a WebSocket subprotocol that tunnels SPDY (kubectl 1.31+ port-forward).</summary>
    public const string SpdyTunnelPrefix = "SPDY/3.1+";

    /// <summary>The <c>Upgrade</c> token of a plain SPDY upgrade.</summary>
    public const string Spdy = "SPDY/3.1";

    /// <summary>Header that names the stream protocol of a SPDY upgrade.</summary>
    public const string StreamProtocolHeader = "X-Stream-Protocol-Version";

    /// <summary>Marks a request one API server relayed to the pod's node, so it is never relayed again.</summary>
    public const string RelayedHeader = "X-Grainetes-Stream-Relayed-By";
}
