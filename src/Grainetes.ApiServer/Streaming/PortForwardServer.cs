using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Grainetes.ApiServer.Streaming.Spdy;
using Microsoft.Extensions.Logging;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// The <c>portforward.k8s.io</c> protocol on a SPDY session, as the kubelet serves it: for every local connection
/// the client opens an error stream and a data stream with the same <c>requestID</c> and <c>port</c> headers. Once
/// both are there the pod's port is dialled; bytes are copied both ways (the client's FIN half-closes the pod
/// socket), the pod side's end closes the data stream, and the error stream then closes empty — or carries the
/// failure's message.
/// </summary>
public sealed partial class PortForwardServer(Func<int, CancellationToken, Task<Socket>> connect, string podName, ILogger logger)
{
    public const string StreamTypeHeader = "streamtype";
    public const string PortHeader = "port";
    public const string RequestIdHeader = "requestid";

    /// <summary>How long the first stream of a pair waits for the second (the kubelet's stream creation timeout).</summary>
    public TimeSpan PairTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public async Task RunAsync(Stream transport, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var connection = new SpdyConnection(transport, logger);
        var pairs = new ConcurrentDictionary<string, StreamPair>(StringComparer.Ordinal);
        var forwards = new ConcurrentDictionary<Task, bool>();

        void Track(Task task)
        {
            forwards[task] = true;
            task.ContinueWith(t => forwards.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        void Accept(SpdyStream stream)
        {
            var type = stream.Header(StreamTypeHeader);
            var id = RequestId(stream, type);
            if (id is null || type is not ("data" or "error"))
            {
                Track(stream.ResetAsync(SpdyRstStatus.ProtocolError, stop.Token).AsTask());
                return;
            }

            var pair = pairs.GetOrAdd(id, _ => new StreamPair());
            bool complete;
            lock (pair)
            {
                if (type == "data")
                {
                    pair.Data ??= stream;
                }
                else
                {
                    pair.Error ??= stream;
                }

                complete = pair.Data is not null && pair.Error is not null && !pair.Started;
                pair.Started |= complete;
            }

            if (complete)
            {
                pairs.TryRemove(id, out _);
                Track(ForwardAsync(pair.Data!, pair.Error!, stop.Token));
            }
            else if (!pair.Started)
            {
                Track(ExpireAsync(id, pair, pairs, stop.Token));
            }
        }

        await connection.RunAsync(Accept, stop.Token);

        // The client is gone: whatever still runs has nobody to talk to.
        await stop.CancelAsync();
        await Task.WhenAll(forwards.Keys).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// The pair a stream belongs to: its <c>requestID</c> header, or for clients older than that header the
    /// kubelet's guess from consecutive stream ids (error n, data n+2).
    /// </summary>
    internal static string? RequestId(SpdyStream stream, string? type)
    {
        if (stream.Header(RequestIdHeader) is { Length: > 0 } id)
        {
            return id;
        }

        return type switch
        {
            "error" => stream.Id.ToString(CultureInfo.InvariantCulture),
            "data" => (stream.Id - 2).ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
    }

    private async Task ForwardAsync(SpdyStream data, SpdyStream error, CancellationToken cancellationToken)
    {
        var portText = data.Header(PortHeader) ?? error.Header(PortHeader);
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            await FailAsync(data, error, $"invalid port \"{portText}\"", cancellationToken);
            return;
        }

        Socket socket;
        try
        {
            socket = await connect(port, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or IOException or Machinery.Errors.ApiException or InvalidOperationException)
        {
            await FailAsync(data, error, $"error forwarding port {port.ToString(CultureInfo.InvariantCulture)} to pod {podName}: {e.Message}", cancellationToken);
            return;
        }

        LogForwarding(podName, port, data.Id);
        using (socket)
        using (var copying = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var up = CopyToPodAsync(data, socket, copying.Token);
            try
            {
                await CopyFromPodAsync(socket, data, copying.Token);
                await data.CloseWriteAsync(cancellationToken);
                await error.CloseWriteAsync(cancellationToken);
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
            {
                LogCopyEnded(podName, port, e.Message);
            }
            finally
            {
                await copying.CancelAsync();
                socket.Close();
                await up.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private static async Task CopyToPodAsync(SpdyStream data, Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        try
        {
            while (true)
            {
                var read = await data.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    break;
                }

                await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken);
            }

            // The client's FIN: it sends no more, as a TCP half-close tells the pod.
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The pod side ended first; the other direction reports it.
        }
    }

    private static async Task CopyFromPodAsync(Socket socket, SpdyStream data, CancellationToken cancellationToken)
    {
        var buffer = new byte[SpdyStream.MaxDataFrame];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return;
            }

            await data.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private async Task FailAsync(SpdyStream data, SpdyStream error, string message, CancellationToken cancellationToken)
    {
        LogForwardFailed(message);
        try
        {
            await error.WriteAsync(Encoding.UTF8.GetBytes(message), cancellationToken);
            await error.CloseWriteAsync(cancellationToken);
            await data.CloseWriteAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or System.Net.WebSockets.WebSocketException)
        {
            // The client is gone.
        }
    }

    private async Task ExpireAsync(string id, StreamPair pair, ConcurrentDictionary<string, StreamPair> pairs, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(PairTimeout, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        SpdyStream? lone;
        lock (pair)
        {
            if (pair.Started)
            {
                return;
            }

            pair.Started = true;
            lone = pair.Data ?? pair.Error;
        }

        pairs.TryRemove(new KeyValuePair<string, StreamPair>(id, pair));
        LogPairTimedOut(id);
        if (lone is not null)
        {
            try
            {
                await lone.ResetAsync(SpdyRstStatus.RefusedStream, cancellationToken);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forwarding to port {Port} of pod {Pod} (stream {StreamId})")]
    private partial void LogForwarding(string pod, int port, uint streamId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Forward to port {Port} of pod {Pod} ended: {Reason}")]
    private partial void LogCopyEnded(string pod, int port, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Port-forward failed: {Message}")]
    private partial void LogForwardFailed(string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Port-forward request {RequestId} got one stream of its pair only; reset")]
    private partial void LogPairTimedOut(string requestId);

    private sealed class StreamPair
    {
        public SpdyStream? Data { get; set; }

        public SpdyStream? Error { get; set; }

        public bool Started { get; set; }
    }
}
