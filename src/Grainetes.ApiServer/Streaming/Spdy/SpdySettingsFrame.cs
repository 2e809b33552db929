namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>SETTINGS: the peer's parameters by id (flags dropped: nothing here persists settings).</summary>
public sealed record SpdySettingsFrame(IReadOnlyDictionary<uint, uint> Values) : SpdyFrame;
