using System.Buffers;

namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>
/// The sending side of a connection's header compression context. SPDY/3 header blocks are successive pieces of
/// one zlib stream, each ending at a flush point. This writes each block as stored (uncompressed) deflate blocks
/// followed by an empty stored block — exactly a zlib sync flush — so any inflater, Go's included, yields the whole
/// block without waiting for more. No preset dictionary is named, so none is needed to read it. Header blocks here
/// are tens of bytes; compressing them would save nothing worth the code.
/// </summary>
public sealed class SpdyHeaderCompressor
{
    private const int MaxStoredBlock = ushort.MaxValue;
    private bool started;

    public byte[] Compress(ReadOnlySpan<byte> block)
    {
        var output = new ArrayBufferWriter<byte>(block.Length + 16);
        if (!started)
        {
            // CMF 0x78: deflate with a 32 KiB window; FLG 0x01: no dictionary, and the header is a multiple of 31.
            output.Write<byte>([0x78, 0x01]);
            started = true;
        }

        var rest = block;
        while (!rest.IsEmpty)
        {
            var count = Math.Min(rest.Length, MaxStoredBlock);
            WriteStoredHeader(output, count);
            output.Write(rest[..count]);
            rest = rest[count..];
        }

        WriteStoredHeader(output, 0);
        return output.WrittenSpan.ToArray();
    }

    // A non-final stored block starts byte-aligned here (every earlier block ended on a byte): header bits 000, padding, then LEN and NLEN little-endian.
    private static void WriteStoredHeader(ArrayBufferWriter<byte> output, int count) =>
        output.Write<byte>([0x00, (byte)count, (byte)(count >> 8), (byte)~count, (byte)(~count >> 8)]);
}
