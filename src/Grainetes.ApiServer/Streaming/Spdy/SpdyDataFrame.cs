namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>DATA: bytes of one stream; <paramref name="Fin"/> is the sender's last frame on it.</summary>
public sealed record SpdyDataFrame(uint StreamId, bool Fin, ReadOnlyMemory<byte> Data) : SpdyFrame;
