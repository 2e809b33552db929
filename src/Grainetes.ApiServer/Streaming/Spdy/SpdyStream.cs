using System.Threading.Channels;

namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>
/// One stream of a <see cref="SpdyConnection"/> that the peer opened: read what it sends until its FIN, write back
/// in DATA frames, half-close with a FIN of our own, or reset.
/// </summary>
public sealed class SpdyStream
{
    /// <summary>DATA frames are cut to this size, so one big write never holds the connection for long.</summary>
    public const int MaxDataFrame = 32 * 1024;

    private readonly SpdyConnection connection;
    private readonly Channel<ReadOnlyMemory<byte>> inbound = Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private ReadOnlyMemory<byte> current;
    private int localClosed;
    private volatile bool reset;
    private volatile bool remoteClosed;

    internal SpdyStream(SpdyConnection connection, uint id, IReadOnlyDictionary<string, string> headers)
    {
        this.connection = connection;
        Id = id;
        Headers = headers;
    }

    public uint Id { get; }

    public IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Whether the stream was reset (by either side) or its connection ended.</summary>
    public bool IsReset => reset;

    internal bool IsDone => reset || (remoteClosed && localClosed != 0);

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>Reads what the peer sent; 0 once it sent FIN, reset the stream, or the connection ended.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (current.IsEmpty)
        {
            if (!await inbound.Reader.WaitToReadAsync(cancellationToken))
            {
                return 0;
            }

            inbound.Reader.TryRead(out current);
        }

        var count = Math.Min(buffer.Length, current.Length);
        current[..count].CopyTo(buffer);
        current = current[count..];
        return count;
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            if (reset || localClosed != 0)
            {
                throw new IOException($"SPDY stream {Id} is closed for writing");
            }

            var count = Math.Min(data.Length, MaxDataFrame);
            await connection.SendAsync(new SpdyDataFrame(Id, false, data[..count]), cancellationToken);
            data = data[count..];
        }
    }

    /// <summary>Sends FIN: nothing more comes from this side. Idempotent.</summary>
    public async ValueTask CloseWriteAsync(CancellationToken cancellationToken)
    {
        if (reset || Interlocked.Exchange(ref localClosed, 1) != 0)
        {
            return;
        }

        await connection.SendAsync(new SpdyDataFrame(Id, true, ReadOnlyMemory<byte>.Empty), cancellationToken);
        connection.Forget(this);
    }

    /// <summary>Ends the stream both ways at once.</summary>
    public async ValueTask ResetAsync(SpdyRstStatus status, CancellationToken cancellationToken)
    {
        if (reset)
        {
            return;
        }

        MarkReset();
        await connection.SendAsync(new SpdyRstStreamFrame(Id, status), cancellationToken);
        connection.Forget(this);
    }

    internal void Receive(ReadOnlyMemory<byte> data, bool fin)
    {
        if (!data.IsEmpty)
        {
            inbound.Writer.TryWrite(data);
        }

        if (fin)
        {
            remoteClosed = true;
            inbound.Writer.TryComplete();
        }
    }

    internal void MarkReset()
    {
        reset = true;
        inbound.Writer.TryComplete();
    }
}
