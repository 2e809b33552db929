using Grainetes.ApiServer.Streaming.Spdy;

namespace Grainetes.Tests.Streaming;

/// <summary>The client side of a SPDY session for tests: sends frames, and records every frame the server sends.</summary>
internal sealed class SpdyTestClient : IAsyncDisposable
{
    private readonly Stream stream;
    private readonly SpdyFrameWriter writer = new();
    private readonly SpdyFrameReader reader;
    private readonly List<SpdyFrame> received = [];
    private readonly SemaphoreSlim arrived = new(0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public SpdyTestClient(Stream stream)
    {
        this.stream = stream;
        reader = new SpdyFrameReader(stream);
        loop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Whether the server ended the connection.</summary>
    public bool Ended { get; private set; }

    public async Task SendAsync(SpdyFrame frame)
    {
        await stream.WriteAsync(writer.Encode(frame));
        await stream.FlushAsync();
    }

    /// <summary>Waits until the frames received so far satisfy <paramref name="done"/> (10 s at most).</summary>
    public async Task<IReadOnlyList<SpdyFrame>> WaitForAsync(Func<IReadOnlyList<SpdyFrame>, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            List<SpdyFrame> snapshot;
            lock (received)
            {
                snapshot = [.. received];
            }

            if (done(snapshot))
            {
                return snapshot;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || (Ended && !await arrived.WaitAsync(0)))
            {
                throw new TimeoutException($"{what} did not arrive; got: {string.Join(", ", snapshot)}");
            }

            await arrived.WaitAsync(left);
        }
    }

    /// <summary>The bytes the server sent on <paramref name="streamId"/> once it has sent its FIN.</summary>
    public async Task<byte[]> ReadToEndAsync(uint streamId)
    {
        var frames = await WaitForAsync(f => f.OfType<SpdyDataFrame>().Any(d => d.StreamId == streamId && d.Fin), $"FIN on stream {streamId}");
        return [.. frames.OfType<SpdyDataFrame>().Where(d => d.StreamId == streamId).SelectMany(d => d.Data.ToArray())];
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        stream.Dispose();
        await loop.ContinueWith(_ => { }, TaskScheduler.Default);
        stop.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await reader.ReadAsync(stop.Token) is { } frame)
            {
                lock (received)
                {
                    received.Add(frame);
                }

                arrived.Release();
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SpdyProtocolException)
        {
        }
        finally
        {
            Ended = true;
            arrived.Release();
        }
    }
}
