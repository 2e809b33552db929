using System.Buffers.Binary;

namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>
/// Encodes SPDY/3 frames, compressing header blocks with the connection's one compression context: frames must be
/// encoded in the order they are sent.
/// </summary>
public sealed class SpdyFrameWriter
{
    private readonly SpdyHeaderCompressor compressor = new();

    public byte[] Encode(SpdyFrame frame) => frame switch
    {
        SpdyDataFrame data => Data(data),
        SpdySynStreamFrame syn => Control(SpdyFrameType.SynStream, Flags(syn.Fin, syn.Unidirectional), Concat(
            Words(syn.StreamId & 0x7fffffff, syn.AssociatedStreamId & 0x7fffffff),
            [(byte)(syn.Priority << 5), 0],
            compressor.Compress(SpdyHeaderBlock.Encode(syn.Headers)))),
        SpdySynReplyFrame reply => Control(SpdyFrameType.SynReply, Flags(reply.Fin, false), Concat(
            Words(reply.StreamId & 0x7fffffff),
            compressor.Compress(SpdyHeaderBlock.Encode(reply.Headers)))),
        SpdyHeadersFrame headers => Control(SpdyFrameType.Headers, Flags(headers.Fin, false), Concat(
            Words(headers.StreamId & 0x7fffffff),
            compressor.Compress(SpdyHeaderBlock.Encode(headers.Headers)))),
        SpdyRstStreamFrame rst => Control(SpdyFrameType.RstStream, 0, Words(rst.StreamId & 0x7fffffff, (uint)rst.Status)),
        SpdySettingsFrame settings => Control(SpdyFrameType.Settings, 0, Concat(
            Words((uint)settings.Values.Count),
            [.. settings.Values.SelectMany(v => Words(v.Key & 0xffffff, v.Value))])),
        SpdyPingFrame ping => Control(SpdyFrameType.Ping, 0, Words(ping.Id)),
        SpdyGoAwayFrame goAway => Control(SpdyFrameType.GoAway, 0, Words(goAway.LastGoodStreamId & 0x7fffffff, goAway.Status)),
        SpdyWindowUpdateFrame window => Control(SpdyFrameType.WindowUpdate, 0, Words(window.StreamId & 0x7fffffff, window.Delta & 0x7fffffff)),
        SpdyUnknownFrame unknown => Control(unknown.Type, unknown.Flags, unknown.Payload.ToArray()),
        _ => throw new ArgumentException($"cannot encode {frame.GetType().Name}", nameof(frame)),
    };

    private static byte[] Data(SpdyDataFrame data)
    {
        CheckLength(data.Data.Length);
        var frame = new byte[8 + data.Data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, data.StreamId & 0x7fffffff);
        WriteFlagsAndLength(frame, data.Fin ? SpdyFrameType.FlagFin : (byte)0, data.Data.Length);
        data.Data.Span.CopyTo(frame.AsSpan(8));
        return frame;
    }

    private static byte[] Control(ushort type, byte flags, byte[] payload)
    {
        CheckLength(payload.Length);
        var frame = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame, 0x8000 | SpdyFrameType.Version);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), type);
        WriteFlagsAndLength(frame, flags, payload.Length);
        payload.CopyTo(frame.AsSpan(8));
        return frame;
    }

    private static void WriteFlagsAndLength(byte[] frame, byte flags, int length)
    {
        frame[4] = flags;
        frame[5] = (byte)(length >> 16);
        frame[6] = (byte)(length >> 8);
        frame[7] = (byte)length;
    }

    private static byte Flags(bool fin, bool unidirectional) =>
        (byte)((fin ? SpdyFrameType.FlagFin : 0) | (unidirectional ? SpdyFrameType.FlagUnidirectional : 0));

    private static byte[] Words(params uint[] words)
    {
        var bytes = new byte[words.Length * 4];
        for (var i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(i * 4), words[i]);
        }

        return bytes;
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static void CheckLength(int length)
    {
        if (length > SpdyFrameType.MaxLength)
        {
            throw new ArgumentException($"a SPDY frame holds at most {SpdyFrameType.MaxLength} bytes, not {length}");
        }
    }
}
