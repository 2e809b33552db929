namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>One SPDY/3 frame, decoded (header blocks decompressed and parsed).</summary>
public abstract record SpdyFrame;
