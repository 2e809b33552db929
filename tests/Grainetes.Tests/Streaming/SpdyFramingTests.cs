using System.IO.Compression;
using System.Text;
using Grainetes.ApiServer.Streaming.Spdy;

namespace Grainetes.Tests.Streaming;

public sealed class SpdyFramingTests
{
    private static readonly Dictionary<string, string> ErrorHeaders = new() { ["streamtype"] = "error", ["port"] = "8080", ["requestid"] = "0" };

    [Fact]
    public void TheDictionaryIsSpdy3sPresetDictionary()
    {
        // 1423 bytes whose Adler-32 (0xe3c6a7c2) is the DICTID every SPDY/3 client's zlib header names.
        var dictionary = SpdyDictionary.Bytes;
        Assert.Equal(1423, dictionary.Length);
        Assert.Equal(0xe3c6a7c2u, Adler32(dictionary));
        Assert.Equal("options", Encoding.ASCII.GetString(dictionary, 4, 7));
        Assert.EndsWith("enq=0.", Encoding.ASCII.GetString(dictionary), StringComparison.Ordinal);
    }

    [Fact]
    public void HeaderBlocksCompressedByZlibWithTheDictionaryDecodeAcrossFrames()
    {
        // Two SYN_STREAM header blocks from one zlib context (level 9, SPDY dictionary, sync flush), as Go's spdystream
        // writes them; the second refers back into the first, so the context must carry over.
        var first = Convert.FromHexString("78f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45e01c6061606100a4398b20d198094ade8c0600000000ffff");
        var second = Convert.FromHexString("c2aa19540e2512d60b000000ffff");
        var reader = new SpdyFrameReader(Stream.Null);

        var error = Assert.IsType<SpdySynStreamFrame>(reader.Decode(SpdyFrameType.SynStream, 0, SynStreamPayload(1, first)));
        var data = Assert.IsType<SpdySynStreamFrame>(reader.Decode(SpdyFrameType.SynStream, 0, SynStreamPayload(3, second)));

        Assert.Equal(ErrorHeaders, error.Headers);
        Assert.Equal(new Dictionary<string, string> { ["streamtype"] = "data", ["port"] = "8080", ["requestid"] = "0" }, data.Headers);
        Assert.Equal(3u, data.StreamId);
    }

    [Fact]
    public async Task EveryFrameTypeSurvivesAWriteAndARead()
    {
        var writer = new SpdyFrameWriter();
        SpdyFrame[] frames =
        [
            new SpdySynStreamFrame(1, 0, 2, Fin: false, Unidirectional: false, ErrorHeaders),
            new SpdySynReplyFrame(1, Fin: true, new Dictionary<string, string>()),
            new SpdyHeadersFrame(3, Fin: false, new Dictionary<string, string> { ["x-a"] = "1\02" }),
            new SpdySynStreamFrame(5, 1, 7, Fin: true, Unidirectional: true, new Dictionary<string, string> { ["port"] = "80" }),
            new SpdyRstStreamFrame(5, SpdyRstStatus.Cancel),
            new SpdySettingsFrame(new Dictionary<uint, uint> { [4] = 100, [7] = 65536 }),
            new SpdyPingFrame(7),
            new SpdyGoAwayFrame(5, 0),
            new SpdyWindowUpdateFrame(1, 4096),
        ];
        using var wire = new MemoryStream();
        foreach (var frame in frames)
        {
            wire.Write(writer.Encode(frame));
        }

        var payload = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n");
        wire.Write(writer.Encode(new SpdyDataFrame(1, Fin: true, payload)));
        wire.Position = 0;
        var reader = new SpdyFrameReader(wire);

        foreach (var expected in frames)
        {
            var actual = await reader.ReadAsync(CancellationToken.None);
            Assert.Equal(expected.GetType(), actual!.GetType());
            Assert.Equal(Describe(expected), Describe(actual));
        }

        var data = Assert.IsType<SpdyDataFrame>(await reader.ReadAsync(CancellationToken.None));
        Assert.True(data.Fin);
        Assert.Equal(payload, data.Data.ToArray());
        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public void ControlFramesCarryVersion3AndTheirTypeInTheHeader()
    {
        var ping = new SpdyFrameWriter().Encode(new SpdyPingFrame(2));
        Assert.Equal(new byte[] { 0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02 }, ping);
        var data = new SpdyFrameWriter().Encode(new SpdyDataFrame(3, Fin: true, new byte[] { 0x41 }));
        Assert.Equal(new byte[] { 0x00, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x01, 0x41 }, data);
    }

    [Fact]
    public void EachCompressedHeaderBlockEndsAtASyncFlushAndAnyInflaterReadsIt()
    {
        // Go's inflater hands out a block's bytes only at a flush point (an empty stored block, 00 00 ff ff); and .NET's
        // zlib, which knows nothing of SPDY, must read the blocks one after another as a single stream.
        var compressor = new SpdyHeaderCompressor();
        var blocks = new[] { SpdyHeaderBlock.Encode(ErrorHeaders), SpdyHeaderBlock.Encode(new Dictionary<string, string>()), new byte[70_000] };
        var compressed = blocks.Select(b => compressor.Compress(b)).ToList();
        foreach (var block in compressed)
        {
            Assert.Equal(new byte[] { 0x00, 0x00, 0x00, 0xff, 0xff }, block[^5..]);
        }

        using var zlib = new ZLibStream(new MemoryStream(compressed.SelectMany(b => b).ToArray()), CompressionMode.Decompress);
        foreach (var block in blocks)
        {
            var read = new byte[block.Length];
            zlib.ReadExactly(read);
            Assert.Equal(block, read);
        }
    }

    [Fact]
    public void AMalformedHeaderBlockIsAProtocolError()
    {
        var reader = new SpdyFrameReader(Stream.Null);
        Assert.Throws<SpdyProtocolException>(() => reader.Decode(SpdyFrameType.SynStream, 0, SynStreamPayload(1, [0x78, 0x9c, 0xff, 0xff, 0xff])));
        Assert.Throws<SpdyProtocolException>(() => SpdyHeaderBlock.Decode([0, 0, 0, 2, 0, 0, 0, 9, 0x61]));
    }

    private static byte[] SynStreamPayload(uint streamId, byte[] block) =>
        [(byte)(streamId >> 24), (byte)(streamId >> 16), (byte)(streamId >> 8), (byte)streamId, 0, 0, 0, 0, 0, 0, .. block];

    private static string Describe(SpdyFrame frame) => frame switch
    {
        SpdySynStreamFrame s => $"syn {s.StreamId} {s.AssociatedStreamId} {s.Priority} {s.Fin} {s.Unidirectional} {Headers(s.Headers)}",
        SpdySynReplyFrame r => $"reply {r.StreamId} {r.Fin} {Headers(r.Headers)}",
        SpdyHeadersFrame h => $"headers {h.StreamId} {h.Fin} {Headers(h.Headers)}",
        SpdySettingsFrame s => "settings " + string.Join(",", s.Values.OrderBy(v => v.Key).Select(v => $"{v.Key}={v.Value}")),
        _ => frame.ToString(),
    };

    private static string Headers(IReadOnlyDictionary<string, string> headers) =>
        string.Join(";", headers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}={h.Value}"));

    private static uint Adler32(byte[] data)
    {
        uint a = 1, b = 0;
        foreach (var x in data)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }

        return (b << 16) | a;
    }
}
