namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>PING: clients send odd ids and servers even ones; each side echoes the other's.</summary>
public sealed record SpdyPingFrame(uint Id) : SpdyFrame;
