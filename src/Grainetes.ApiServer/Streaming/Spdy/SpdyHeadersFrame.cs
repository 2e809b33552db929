namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>HEADERS: more headers for an open stream.</summary>
public sealed record SpdyHeadersFrame(uint StreamId, bool Fin, IReadOnlyDictionary<string, string> Headers) : SpdyFrame;
