namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>The peer broke the SPDY/3 framing rules; the connection cannot go on.</summary>
public sealed class SpdyProtocolException : Exception
{
    public SpdyProtocolException()
    {
    }

    public SpdyProtocolException(string message)
        : base(message)
    {
    }

    public SpdyProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
