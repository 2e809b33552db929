namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>RST_STREAM: ends a stream abnormally, both directions at once.</summary>
public sealed record SpdyRstStreamFrame(uint StreamId, SpdyRstStatus Status) : SpdyFrame;
