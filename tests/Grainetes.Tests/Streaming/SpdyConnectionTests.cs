using System.Text;
using Grainetes.ApiServer.Streaming.Spdy;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.Streaming;

public sealed class SpdyConnectionTests
{
    private static readonly Dictionary<string, string> NoHeaders = [];

    [Fact]
    public async Task StreamsAreRepliedToCarryDataBothWaysAndHalfClose()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        var connection = new SpdyConnection(pair.Server, NullLogger.Instance);
        var accepted = new TaskCompletionSource<SpdyStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = connection.RunAsync(s => accepted.TrySetResult(s), CancellationToken.None);
        await using var client = new SpdyTestClient(pair.Client);

        await client.SendAsync(new SpdySynStreamFrame(1, 0, 0, false, false, new Dictionary<string, string> { ["streamtype"] = "data" }));
        var stream = await accepted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("data", stream.Header("streamtype"));
        await client.WaitForAsync(f => f.OfType<SpdySynReplyFrame>().Any(r => r.StreamId == 1), "SYN_REPLY");

        await client.SendAsync(new SpdyDataFrame(1, false, Encoding.ASCII.GetBytes("hello ")));
        await client.SendAsync(new SpdyDataFrame(1, true, Encoding.ASCII.GetBytes("world")));
        Assert.Equal("hello world", await ReadAllAsync(stream));

        // A write larger than one frame is cut into several; FIN ends it.
        var big = new byte[SpdyStream.MaxDataFrame * 2 + 10];
        Random.Shared.NextBytes(big);
        await stream.WriteAsync(big, CancellationToken.None);
        await stream.CloseWriteAsync(CancellationToken.None);
        Assert.Equal(big, await client.ReadToEndAsync(1));
        var frames = await client.WaitForAsync(_ => true, "frames");
        Assert.All(frames.OfType<SpdyDataFrame>(), d => Assert.True(d.Data.Length <= SpdyStream.MaxDataFrame));

        pair.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task PingsAreEchoedAndResetEndsAStream()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        var connection = new SpdyConnection(pair.Server, NullLogger.Instance);
        var accepted = new TaskCompletionSource<SpdyStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = connection.RunAsync(s => accepted.TrySetResult(s), CancellationToken.None);
        await using var client = new SpdyTestClient(pair.Client);

        await client.SendAsync(new SpdyPingFrame(11));
        await client.WaitForAsync(f => f.OfType<SpdyPingFrame>().Any(p => p.Id == 11), "the PING echo");

        await client.SendAsync(new SpdySynStreamFrame(1, 0, 0, false, false, NoHeaders));
        var stream = await accepted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var read = stream.ReadAsync(new byte[16], CancellationToken.None);
        await client.SendAsync(new SpdyRstStreamFrame(1, SpdyRstStatus.Cancel));
        Assert.Equal(0, await read.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(stream.IsReset);
        await Assert.ThrowsAsync<IOException>(() => stream.WriteAsync(new byte[1], CancellationToken.None).AsTask());

        pair.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task AStreamIdThatDoesNotGrowIsRefused()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        var connection = new SpdyConnection(pair.Server, NullLogger.Instance);
        var accepted = 0;
        var run = connection.RunAsync(_ => Interlocked.Increment(ref accepted), CancellationToken.None);
        await using var client = new SpdyTestClient(pair.Client);

        await client.SendAsync(new SpdySynStreamFrame(5, 0, 0, false, false, NoHeaders));
        await client.SendAsync(new SpdySynStreamFrame(3, 0, 0, false, false, NoHeaders));
        await client.SendAsync(new SpdySynStreamFrame(8, 0, 0, false, false, NoHeaders));
        var frames = await client.WaitForAsync(f => f.OfType<SpdyRstStreamFrame>().Count() == 2, "two resets");
        Assert.Equal([3u, 8u], frames.OfType<SpdyRstStreamFrame>().Select(r => r.StreamId));
        Assert.All(frames.OfType<SpdyRstStreamFrame>(), r => Assert.Equal(SpdyRstStatus.ProtocolError, r.Status));
        Assert.Equal(1, Volatile.Read(ref accepted));

        pair.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task TheEndOfTheConnectionEndsEveryStream()
    {
        await using var pair = await LoopbackPair.CreateAsync();
        var connection = new SpdyConnection(pair.Server, NullLogger.Instance);
        var accepted = new TaskCompletionSource<SpdyStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = connection.RunAsync(s => accepted.TrySetResult(s), CancellationToken.None);
        var client = new SpdyTestClient(pair.Client);
        await client.SendAsync(new SpdySynStreamFrame(1, 0, 0, false, false, NoHeaders));
        var stream = await accepted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        pair.ClientSocket.Shutdown(System.Net.Sockets.SocketShutdown.Both);
        await run.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await stream.ReadAsync(new byte[4], CancellationToken.None));
        Assert.True(stream.IsReset);
        await client.DisposeAsync();
    }

    private static async Task<string> ReadAllAsync(SpdyStream stream)
    {
        var text = new StringBuilder();
        var buffer = new byte[4];
        int read;
        while ((read = await stream.ReadAsync(buffer, CancellationToken.None)) > 0)
        {
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return text.ToString();
    }
}
