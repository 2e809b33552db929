namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>A control frame of a type this server does not know (CREDENTIAL, say); SPDY says to ignore it.</summary>
public sealed record SpdyUnknownFrame(ushort Type, byte Flags, ReadOnlyMemory<byte> Payload) : SpdyFrame;
