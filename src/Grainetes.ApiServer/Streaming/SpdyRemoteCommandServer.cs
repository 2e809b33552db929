using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using Grainetes.Abstractions.Streaming;
using Grainetes.ApiServer.Streaming.Spdy;
using Microsoft.Extensions.Logging;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// Exec and attach over SPDY (<c>v4.channel.k8s.io</c>), what kubectl falls back to when a WebSocket upgrade is
/// refused and uses with <c>KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false</c>: the client opens one stream per channel
/// (<c>streamtype</c> error, stdin, stdout, stderr, resize); the server waits for the ones the query asked for, copies
/// stdin (its FIN closes the command's stdin) and resizes in, output out, then FINs stdout and stderr and writes the
/// exit <c>Status</c> on the error stream.
/// </summary>
public sealed partial class SpdyRemoteCommandServer(ILogger logger)
{
    /// <summary>How long the client has to open every stream it asked for (the kubelet's stream creation timeout).</summary>
    public TimeSpan StreamTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public async Task RunAsync(Stream transport, ContainerStreamRequest request, IContainerStreamSession session, TimeSpan exitTimeout, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var connection = new SpdyConnection(transport, logger);
        var expected = new HashSet<string>(StringComparer.Ordinal) { "error" };
        if (request.Stdin)
        {
            expected.Add("stdin");
        }

        if (request.Stdout)
        {
            expected.Add("stdout");
        }

        if (request.Stderr)
        {
            expected.Add("stderr");
        }

        if (request.Tty)
        {
            expected.Add("resize");
        }

        var streams = new ConcurrentDictionary<string, SpdyStream>(StringComparer.Ordinal);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = connection.RunAsync(
            stream =>
            {
                if (stream.Header("streamtype") is { } type && expected.Contains(type) && streams.TryAdd(type, stream) && streams.Count == expected.Count)
                {
                    ready.TrySetResult();
                }
            },
            stop.Token);

        var first = await Task.WhenAny(ready.Task, run, Task.Delay(StreamTimeout, stop.Token));
        if (first != ready.Task)
        {
            LogStreamsMissing(string.Join(", ", expected.Except(streams.Keys)));
            await connection.GoAwayAsync(0, CancellationToken.None);
            await stop.CancelAsync();
            await run;
            return;
        }

        var input = Task.WhenAll(
            streams.TryGetValue("stdin", out var stdin) ? CopyStdinAsync(stdin, session, stop.Token) : Task.CompletedTask,
            streams.TryGetValue("resize", out var resize) ? CopyResizesAsync(resize, session, stop.Token) : Task.CompletedTask);
        var output = CopyOutputAsync(streams, session, stop.Token);
        if (await Task.WhenAny(output, run) == run)
        {
            // The client left while the command runs.
            await stop.CancelAsync();
            await Quietly(output);
            await Quietly(input);
            return;
        }

        var status = RemoteCommandStatus.Failure("the command's output could not be sent");
        if (await Quietly(output))
        {
            using var exitWait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
            exitWait.CancelAfter(exitTimeout);
            try
            {
                status = RemoteCommandStatus.ForExit(await session.WaitForExitAsync(exitWait.Token), request.Command);
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                status = RemoteCommandStatus.Failure("the command's output ended but its exit code did not come in time");
            }
        }

        try
        {
            var error = streams["error"];
            await error.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(status), stop.Token);
            await error.CloseWriteAsync(stop.Token);

            // The client closes the connection once it has read the status; one that does not is let go.
            await run.WaitAsync(TimeSpan.FromSeconds(5), stop.Token);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or TimeoutException or ObjectDisposedException)
        {
            LogEnded(e.Message);
        }
        finally
        {
            await stop.CancelAsync();
            await Quietly(run);
            await Quietly(input);
        }
    }

    private static async Task CopyOutputAsync(ConcurrentDictionary<string, SpdyStream> streams, IContainerStreamSession session, CancellationToken cancellationToken)
    {
        streams.TryGetValue("stdout", out var stdout);
        streams.TryGetValue("stderr", out var stderr);
        var buffer = ArrayPool<byte>.Shared.Rent(32 * 1024);
        try
        {
            while (true)
            {
                var read = await session.ReadOutputAsync(buffer, cancellationToken);
                if (read.IsEnd)
                {
                    break;
                }

                var target = read.Stream == ContainerOutput.StderrStream ? stderr ?? stdout : stdout ?? stderr;
                if (target is not null)
                {
                    await target.WriteAsync(buffer.AsMemory(0, read.Count), cancellationToken);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        foreach (var stream in new[] { stdout, stderr })
        {
            if (stream is not null)
            {
                await stream.CloseWriteAsync(cancellationToken);
            }
        }
    }

    private static async Task CopyStdinAsync(SpdyStream stdin, IContainerStreamSession session, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        int read;
        while ((read = await stdin.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await session.WriteStdinAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        if (!stdin.IsReset)
        {
            await session.CloseStdinAsync(cancellationToken);
        }
    }

    /// <summary>The resize stream is a sequence of JSON objects, one per size change.</summary>
    private static async Task CopyResizesAsync(SpdyStream resize, IContainerStreamSession session, CancellationToken cancellationToken)
    {
        var pending = new List<byte>();
        var buffer = new byte[1024];
        int read;
        while ((read = await resize.ReadAsync(buffer, cancellationToken)) > 0)
        {
            pending.AddRange(buffer.AsSpan(0, read));
            var end = pending.LastIndexOf((byte)'}');
            if (end < 0)
            {
                continue;
            }

            if (RemoteCommandChannels.ParseResize(pending.GetRange(0, end + 1).ToArray()) is { } size)
            {
                await session.ResizeAsync(size, cancellationToken);
            }

            pending.RemoveRange(0, end + 1);
        }
    }

    private static async Task<bool> Quietly(Task task)
    {
        try
        {
            await task;
            return true;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or System.Net.WebSockets.WebSocketException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SPDY exec/attach client did not open its streams ({Missing}) in time")]
    private partial void LogStreamsMissing(string missing);

    [LoggerMessage(Level = LogLevel.Debug, Message = "SPDY exec/attach ended: {Reason}")]
    private partial void LogEnded(string reason);
}
