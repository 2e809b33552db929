using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Grainetes.ApiServer.Streaming.Spdy;

/// <summary>
/// The server side of a SPDY/3.1 session over any byte stream (an upgraded HTTP connection, or a WebSocket that
/// tunnels SPDY): accepts the client's streams (SYN_STREAM, answered at once with SYN_REPLY), routes DATA to them,
/// answers PING, honours RST_STREAM and GOAWAY. Flow control is not enforced in either direction, as in the Go
/// implementation kubectl uses (it sends WINDOW_UPDATE never and ignores it); inbound data is buffered per stream.
/// </summary>
public sealed partial class SpdyConnection(Stream transport, ILogger logger) : IAsyncDisposable
{
    private readonly SpdyFrameReader reader = new(transport);
    private readonly SpdyFrameWriter writer = new();
    private readonly SemaphoreSlim writeLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, SpdyStream> streams = new();
    private uint lastStreamId;
    private int goneAway;

    /// <summary>
    /// Reads frames until the peer ends the connection (or <paramref name="cancellationToken"/>), handing each new
    /// stream to <paramref name="accept"/>, which must not block. At the end every open stream reads as ended.
    /// </summary>
    public async Task RunAsync(Action<SpdyStream> accept, CancellationToken cancellationToken)
    {
        try
        {
            while (await reader.ReadAsync(cancellationToken) is { } frame)
            {
                await HandleAsync(frame, accept, cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or OperationCanceledException or System.Net.WebSockets.WebSocketException or ObjectDisposedException)
        {
            LogEnded(e.Message);
        }
        catch (SpdyProtocolException e)
        {
            LogProtocolError(e.Message);
            await GoAwayAsync(1, CancellationToken.None);
        }
        finally
        {
            foreach (var stream in streams.Values)
            {
                stream.MarkReset();
            }

            streams.Clear();
        }
    }

    /// <summary>Tells the peer that this side opens and accepts no more streams.</summary>
    public async Task GoAwayAsync(uint status, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref goneAway, 1) != 0)
        {
            return;
        }

        try
        {
            await SendAsync(new SpdyGoAwayFrame(lastStreamId, status), cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
            // The peer is gone already.
        }
    }

    public ValueTask DisposeAsync()
    {
        writeLock.Dispose();
        return ValueTask.CompletedTask;
    }

    internal async ValueTask SendAsync(SpdyFrame frame, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            // Encoded under the lock: header compression is one context whose order must match the wire's.
            await transport.WriteAsync(writer.Encode(frame), cancellationToken);
            await transport.FlushAsync(cancellationToken);
        }
        finally
        {
            writeLock.Release();
        }
    }

    internal void Forget(SpdyStream stream)
    {
        if (stream.IsDone)
        {
            streams.TryRemove(new KeyValuePair<uint, SpdyStream>(stream.Id, stream));
        }
    }

    private async ValueTask HandleAsync(SpdyFrame frame, Action<SpdyStream> accept, CancellationToken cancellationToken)
    {
        switch (frame)
        {
            case SpdySynStreamFrame syn:
                if (syn.StreamId % 2 == 0 || syn.StreamId <= lastStreamId || Volatile.Read(ref goneAway) != 0)
                {
                    await SendAsync(new SpdyRstStreamFrame(syn.StreamId, SpdyRstStatus.ProtocolError), cancellationToken);
                    return;
                }

                lastStreamId = syn.StreamId;
                var stream = new SpdyStream(this, syn.StreamId, syn.Headers);
                streams[syn.StreamId] = stream;
                await SendAsync(new SpdySynReplyFrame(syn.StreamId, false, new Dictionary<string, string>()), cancellationToken);
                if (syn.Fin)
                {
                    stream.Receive(ReadOnlyMemory<byte>.Empty, fin: true);
                }

                accept(stream);
                return;
            case SpdyDataFrame data:
                if (streams.TryGetValue(data.StreamId, out var target))
                {
                    target.Receive(data.Data, data.Fin);
                    Forget(target);
                }

                return;
            case SpdyRstStreamFrame rst:
                if (streams.TryRemove(rst.StreamId, out var resetStream))
                {
                    resetStream.MarkReset();
                }

                return;
            case SpdyPingFrame ping when ping.Id % 2 == 1:
                await SendAsync(ping, cancellationToken);
                return;
            case SpdyGoAwayFrame:
                // The client opens no more streams; the ones it has run on until it closes the connection.
                Interlocked.Exchange(ref goneAway, 1);
                return;
            default:
                // SETTINGS, WINDOW_UPDATE, HEADERS, replies to our pings and unknown types change nothing here.
                return;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "SPDY connection ended: {Reason}")]
    private partial void LogEnded(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SPDY protocol error from the client: {Reason}")]
    private partial void LogProtocolError(string reason);
}
