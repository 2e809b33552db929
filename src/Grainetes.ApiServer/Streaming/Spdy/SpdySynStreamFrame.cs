namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>SYN_STREAM: the peer opens a stream (client streams have odd ids).</summary>
public sealed record SpdySynStreamFrame(
    uint StreamId,
    uint AssociatedStreamId,
    byte Priority,
    bool Fin,
    bool Unidirectional,
    IReadOnlyDictionary<string, string> Headers) : SpdyFrame;
