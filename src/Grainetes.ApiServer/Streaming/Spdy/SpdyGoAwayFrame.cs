namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>GOAWAY: the sender opens no more streams; <paramref name="LastGoodStreamId"/> is the last it accepted.</summary>
public sealed record SpdyGoAwayFrame(uint LastGoodStreamId, uint Status) : SpdyFrame;
