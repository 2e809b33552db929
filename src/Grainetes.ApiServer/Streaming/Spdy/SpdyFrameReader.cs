using System.Buffers.Binary;

namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>
/// Reads SPDY/3 frames from a byte stream, decompressing header blocks with the connection's one decompression
/// context (so every header-bearing frame must pass through here, in order, even ones that are then ignored).
/// </summary>
public sealed class SpdyFrameReader(Stream stream)
{
    private readonly SpdyHeaderDecompressor decompressor = new();
    private readonly byte[] head = new byte[8];

    /// <summary>The next frame, or null when the stream ends cleanly between frames.</summary>
    public async ValueTask<SpdyFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        var got = await stream.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
        if (got == 0)
        {
            return null;
        }

        if (got < head.Length)
        {
            throw new SpdyProtocolException("the connection ended inside a frame header");
        }

        var flags = head[4];
        var length = (head[5] << 16) | (head[6] << 8) | head[7];
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        if ((head[0] & 0x80) == 0)
        {
            var streamId = BinaryPrimitives.ReadUInt32BigEndian(head) & 0x7fffffff;
            return new SpdyDataFrame(streamId, (flags & SpdyFrameType.FlagFin) != 0, payload);
        }

        var version = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(head) & 0x7fff);
        var type = BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(2));
        if (version != SpdyFrameType.Version)
        {
            throw new SpdyProtocolException($"SPDY version {version} is not supported; this server speaks SPDY/3.1");
        }

        return Decode(type, flags, payload);
    }

    /// <summary>Decodes a control frame's payload; public for tests that feed frames without a stream.</summary>
    public SpdyFrame Decode(ushort type, byte flags, byte[] payload)
    {
        var span = payload.AsSpan();
        var fin = (flags & SpdyFrameType.FlagFin) != 0;
        switch (type)
        {
            case SpdyFrameType.SynStream:
                Require(span, 10, "SYN_STREAM");
                return new SpdySynStreamFrame(
                    StreamId(span),
                    StreamId(span[4..]),
                    (byte)(span[8] >> 5),
                    fin,
                    (flags & SpdyFrameType.FlagUnidirectional) != 0,
                    Headers(span[10..]));
            case SpdyFrameType.SynReply:
                Require(span, 4, "SYN_REPLY");
                return new SpdySynReplyFrame(StreamId(span), fin, Headers(span[4..]));
            case SpdyFrameType.Headers:
                Require(span, 4, "HEADERS");
                return new SpdyHeadersFrame(StreamId(span), fin, Headers(span[4..]));
            case SpdyFrameType.RstStream:
                Require(span, 8, "RST_STREAM");
                return new SpdyRstStreamFrame(StreamId(span), (SpdyRstStatus)BinaryPrimitives.ReadUInt32BigEndian(span[4..]));
            case SpdyFrameType.Settings:
                return Settings(span);
            case SpdyFrameType.Ping:
                Require(span, 4, "PING");
                return new SpdyPingFrame(BinaryPrimitives.ReadUInt32BigEndian(span));
            case SpdyFrameType.GoAway:
                Require(span, 4, "GOAWAY");
                return new SpdyGoAwayFrame(StreamId(span), span.Length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(span[4..]) : 0);
            case SpdyFrameType.WindowUpdate:
                Require(span, 8, "WINDOW_UPDATE");
                return new SpdyWindowUpdateFrame(StreamId(span), BinaryPrimitives.ReadUInt32BigEndian(span[4..]) & 0x7fffffff);
            default:
                return new SpdyUnknownFrame(type, flags, payload);
        }
    }

    private IReadOnlyDictionary<string, string> Headers(ReadOnlySpan<byte> compressed) =>
        SpdyHeaderBlock.Decode(decompressor.Decompress(compressed));

    private static SpdySettingsFrame Settings(ReadOnlySpan<byte> span)
    {
        Require(span, 4, "SETTINGS");
        var count = BinaryPrimitives.ReadUInt32BigEndian(span);
        if (count > (uint)(span.Length - 4) / 8)
        {
            throw new SpdyProtocolException("SETTINGS frame shorter than its entry count");
        }

        var values = new Dictionary<uint, uint>();
        for (var i = 0; i < (int)count; i++)
        {
            var entry = span.Slice(4 + (i * 8), 8);
            values[BinaryPrimitives.ReadUInt32BigEndian(entry) & 0xffffff] = BinaryPrimitives.ReadUInt32BigEndian(entry[4..]);
        }

        return new SpdySettingsFrame(values);
    }

    private static uint StreamId(ReadOnlySpan<byte> span) => BinaryPrimitives.ReadUInt32BigEndian(span) & 0x7fffffff;

    private static void Require(ReadOnlySpan<byte> span, int length, string frame)
    {
        if (span.Length < length)
        {
            throw new SpdyProtocolException($"{frame} frame too short ({span.Length} bytes)");
        }
    }
}
