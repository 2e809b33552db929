using System.Buffers;
using ICSharpCode.SharpZipLib;
using ICSharpCode.SharpZipLib.Zip.Compression;

namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>
/// The receiving side of a connection's header compression context: one zlib stream across every header block,
/// with SPDY's preset dictionary (SharpZipLib's inflater, since .NET's own zlib streams take no dictionary).
/// </summary>
public sealed class SpdyHeaderDecompressor
{
    /// <summary>Larger decompressed header blocks are refused: nothing legitimate in port-forward comes near it.</summary>
    public const int MaxBlockSize = 256 * 1024;

    private readonly Inflater inflater = new();
    private readonly byte[] chunk = new byte[4096];

    public byte[] Decompress(ReadOnlySpan<byte> compressed)
    {
        if (compressed.IsEmpty)
        {
            throw new SpdyProtocolException("empty compressed header block");
        }

        var output = new ArrayBufferWriter<byte>(256);
        try
        {
            inflater.SetInput(compressed.ToArray());
            while (true)
            {
                var count = inflater.Inflate(chunk);
                if (count > 0)
                {
                    output.Write(chunk.AsSpan(0, count));
                    if (output.WrittenCount > MaxBlockSize)
                    {
                        throw new SpdyProtocolException("header block too large");
                    }

                    continue;
                }

                if (inflater.IsNeedingDictionary)
                {
                    inflater.SetDictionary(SpdyDictionary.Bytes);
                    continue;
                }

                // Nothing more until the next block's bytes arrive.
                break;
            }
        }
        catch (SharpZipBaseException e)
        {
            throw new SpdyProtocolException("corrupt compressed header block: " + e.Message, e);
        }

        return output.WrittenSpan.ToArray();
    }
}
