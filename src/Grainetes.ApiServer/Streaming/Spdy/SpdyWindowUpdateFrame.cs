namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>WINDOW_UPDATE: flow-control credit (stream 0 for the whole session in SPDY/3.1).</summary>
public sealed record SpdyWindowUpdateFrame(uint StreamId, uint Delta) : SpdyFrame;
