using System.Buffers.Binary;
using System.Text;

namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>
/// A SPDY/3 name/value header block before compression: a 32-bit count, then each name and value with a 32-bit
/// length. Names are lower case; several values of one name are joined by NUL.
/// </summary>
public static class SpdyHeaderBlock
{
    public static byte[] Encode(IReadOnlyDictionary<string, string> headers)
    {
        var size = 4 + headers.Sum(h => 8 + Encoding.UTF8.GetByteCount(h.Key) + Encoding.UTF8.GetByteCount(h.Value));
        var block = new byte[size];
        var span = block.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, headers.Count);
        var at = 4;
        foreach (var (name, value) in headers)
        {
            at += WriteString(span[at..], name.ToLowerInvariant());
            at += WriteString(span[at..], value);
        }

        return block;
    }

    /// <summary>Parses a decompressed block; throws <see cref="SpdyProtocolException"/> on a malformed one.</summary>
    public static IReadOnlyDictionary<string, string> Decode(ReadOnlySpan<byte> block)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        var count = ReadLength(ref block);
        for (var i = 0; i < count; i++)
        {
            var name = ReadString(ref block).ToLowerInvariant();
            var value = ReadString(ref block);
            headers[name] = value;
        }

        return headers;
    }

    private static int WriteString(Span<byte> span, string value)
    {
        var count = Encoding.UTF8.GetBytes(value, span[4..]);
        BinaryPrimitives.WriteInt32BigEndian(span, count);
        return 4 + count;
    }

    private static int ReadLength(ref ReadOnlySpan<byte> block)
    {
        if (block.Length < 4)
        {
            throw new SpdyProtocolException("truncated header block");
        }

        var value = BinaryPrimitives.ReadInt32BigEndian(block);
        block = block[4..];
        if (value < 0 || value > block.Length)
        {
            throw new SpdyProtocolException("header block length out of range");
        }

        return value;
    }

    private static string ReadString(ref ReadOnlySpan<byte> block)
    {
        var length = ReadLength(ref block);
        var value = Encoding.UTF8.GetString(block[..length]);
        block = block[length..];
        return value;
    }
}
