using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Streaming;
using Microsoft.Extensions.Logging;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// Runs one exec or attach over an accepted WebSocket: client messages go to the session (stdin, resize, v5's
/// close of stdin), the session's output goes back on the stdout and stderr channels, and when the output has
/// ended the exit <c>Status</c> goes on the error channel before a normal close. A client that goes away ends
/// the session.
/// </summary>
public sealed partial class RemoteCommandBridge(ILogger<RemoteCommandBridge> logger)
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <param name="exitTimeout">How long to wait for the exit code after the output ended.</param>
    /// <param name="protocol">The negotiated subprotocol (v5 or v4).</param>
    public async Task RunAsync(WebSocket socket, string protocol, IContainerStreamSession session, IReadOnlyList<string> command, TimeSpan exitTimeout, CancellationToken cancellationToken)
    {
        var v5 = protocol == StreamProtocols.ChannelV5;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receive = ReceiveAsync(socket, session, v5, stop.Token);
        var output = SendOutputAsync(socket, session, stop.Token);
        var first = await Task.WhenAny(receive, output);
        if (first == receive && !output.IsCompleted)
        {
            // The client left (or broke the protocol) while the command runs: stop it.
            await stop.CancelAsync();
            await Quietly(output);
            LogClientLeft();
            return;
        }

        if (!await Quietly(output))
        {
            await stop.CancelAsync();
            await Quietly(receive);
            return;
        }

        JsonObject status;
        using (var exitWait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token))
        {
            exitWait.CancelAfter(exitTimeout);
            try
            {
                status = RemoteCommandStatus.ForExit(await session.WaitForExitAsync(exitWait.Token), command);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                status = RemoteCommandStatus.Failure("the command's output ended but its exit code did not come in time");
            }
        }

        await CloseWithStatusAsync(socket, status, stop.Token);

        // The client answers the close, which ends the receive loop; a client that never does is let go.
        try
        {
            await receive.WaitAsync(CloseTimeout, stop.Token);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            await stop.CancelAsync();
            await Quietly(receive);
        }
    }

    /// <summary>Writes <paramref name="status"/> on the error channel and closes normally (a failure before the session existed, too).</summary>
    public static async Task CloseWithStatusAsync(WebSocket socket, JsonObject status, CancellationToken cancellationToken)
    {
        try
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(status);
            await socket.SendAsync(RemoteCommandChannels.Frame(RemoteCommandChannels.Error, bytes), WebSocketMessageType.Binary, true, cancellationToken);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The client is gone; there is nobody to tell.
        }
    }

    private static async Task SendOutputAsync(WebSocket socket, IContainerStreamSession session, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(32 * 1024 + 1);
        try
        {
            while (true)
            {
                var read = await session.ReadOutputAsync(buffer.AsMemory(1, buffer.Length - 1), cancellationToken);
                if (read.IsEnd)
                {
                    return;
                }

                buffer[0] = read.Stream == ContainerOutput.StderrStream ? RemoteCommandChannels.Stderr : RemoteCommandChannels.Stdout;
                await socket.SendAsync(buffer.AsMemory(0, read.Count + 1), WebSocketMessageType.Binary, true, cancellationToken);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task ReceiveAsync(WebSocket socket, IContainerStreamSession session, bool v5, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var message = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (true)
            {
                message.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    message.Write(buffer.AsSpan(0, result.Count));
                }
                while (!result.EndOfMessage);

                await DispatchAsync(message.WrittenMemory, session, v5, cancellationToken);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            LogReceiveEnded(e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task DispatchAsync(ReadOnlyMemory<byte> message, IContainerStreamSession session, bool v5, CancellationToken cancellationToken)
    {
        if (message.Length == 0)
        {
            return;
        }

        var data = message[1..];
        switch (message.Span[0])
        {
            case RemoteCommandChannels.Stdin when data.Length > 0:
                await session.WriteStdinAsync(data, cancellationToken);
                break;
            case RemoteCommandChannels.Resize when RemoteCommandChannels.ParseResize(data.Span) is { } size:
                await session.ResizeAsync(size, cancellationToken);
                break;
            case RemoteCommandChannels.Close when v5 && data.Length > 0 && data.Span[0] == RemoteCommandChannels.Stdin:
                await session.CloseStdinAsync(cancellationToken);
                break;
        }
    }

    private static async Task<bool> Quietly(Task task)
    {
        try
        {
            await task;
            return true;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or InvalidOperationException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Exec/attach client left before the command ended; stopping it")]
    private partial void LogClientLeft();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Exec/attach receive loop ended: {Reason}")]
    private partial void LogReceiveEnded(string reason);
}
