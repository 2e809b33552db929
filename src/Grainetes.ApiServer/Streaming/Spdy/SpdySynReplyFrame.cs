namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>SYN_REPLY: the receiver accepts a stream the other side opened.</summary>
public sealed record SpdySynReplyFrame(uint StreamId, bool Fin, IReadOnlyDictionary<string, string> Headers) : SpdyFrame;
