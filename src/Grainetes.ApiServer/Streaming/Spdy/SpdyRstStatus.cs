namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>Status codes of RST_STREAM (SPDY/3 section 2.6.3).</summary>
public enum SpdyRstStatus : uint
{
    ProtocolError = 1,
    InvalidStream = 2,
    RefusedStream = 3,
    UnsupportedVersion = 4,
    Cancel = 5,
    InternalError = 6,
    FlowControlError = 7,
    StreamInUse = 8,
    StreamAlreadyClosed = 9,
    InvalidCredentials = 10,
    FrameTooLarge = 11,
}
