using System.Threading.Channels;
using Grainetes.Abstractions.Streaming;

namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>
/// An exec in the process runtime: a process (in its own session and group) whose pipes carry stdin, stdout and
/// stderr. With a TTY, <c>script</c> between it and the command owns the terminal: the command then starts once the
/// client's first terminal size arrives (at most <see cref="TerminalSizeWait"/> later), so that it starts at that
/// size; later resizes go to the terminal. Ending the session early kills the command's process group.
/// </summary>
internal sealed class ProcessExecSession : IContainerStreamSession
{
    /// <summary>How long a terminal exec waits for the client's size before it starts without one.</summary>
    public static readonly TimeSpan TerminalSizeWait = TimeSpan.FromSeconds(1);

    private readonly Func<TerminalSize?, System.Diagnostics.ProcessStartInfo> startInfo;
    private readonly ContainerStreamRequest request;
    private readonly bool terminal;
    private readonly Channel<(int Stream, byte[] Data)> output = Channel.CreateBounded<(int, byte[])>(new BoundedChannelOptions(16) { SingleReader = true });
    private readonly TaskCompletionSource<System.Diagnostics.Process> started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim stdinLock = new(1, 1);
    private readonly CancellationTokenSource disposed = new();
    private readonly Lock startLock = new();
    private (int Stream, byte[] Data) current;
    private int offset;
    private bool stdinClosed;

    private ProcessExecSession(Func<TerminalSize?, System.Diagnostics.ProcessStartInfo> startInfo, ContainerStreamRequest request, bool terminal)
    {
        this.startInfo = startInfo;
        this.request = request;
        this.terminal = terminal;
    }

    /// <param name="startInfo">The process to start, given the terminal's size when one is known.</param>
    /// <param name="terminal">Whether the process is <c>script</c> holding a terminal for the command.</param>
    public static ProcessExecSession Start(Func<TerminalSize?, System.Diagnostics.ProcessStartInfo> startInfo, ContainerStreamRequest request, bool terminal)
    {
        var session = new ProcessExecSession(startInfo, request, terminal);
        if (terminal)
        {
            _ = session.StartLaterAsync();
        }
        else
        {
            session.Launch(null);
        }

        return session;
    }

    public async ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var process = await started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await stdinLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (stdinClosed)
            {
                return;
            }

            await process.StandardInput.BaseStream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            await process.StandardInput.BaseStream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The command closed its stdin or ended.
        }
        finally
        {
            stdinLock.Release();
        }
    }

    public async ValueTask CloseStdinAsync(CancellationToken cancellationToken)
    {
        var process = await started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await stdinLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CloseStdin(process);
        }
        finally
        {
            stdinLock.Release();
        }
    }

    public async ValueTask ResizeAsync(TerminalSize size, CancellationToken cancellationToken)
    {
        if (!terminal || size.Width == 0 || size.Height == 0)
        {
            return;
        }

        if (Launch(size))
        {
            return;
        }

        var process = await started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);

        // script makes the terminal a moment after it starts: look for it for a while.
        for (var attempt = 0; attempt < 100 && !process.HasExited; attempt++)
        {
            if (PseudoTerminal.Of(process.Id) is { } path)
            {
                PosixFiles.SetWindowSize(path, size.Width, size.Height);
                return;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<ContainerOutput> ReadOutputAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (current.Data is null || offset >= current.Data.Length)
        {
            if (!await output.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return ContainerOutput.End;
            }

            output.Reader.TryRead(out current);
            offset = 0;
        }

        var count = Math.Min(buffer.Length, current.Data.Length - offset);
        current.Data.AsMemory(offset, count).CopyTo(buffer);
        offset += count;
        return new ContainerOutput(current.Stream, count);
    }

    public async Task<int?> WaitForExitAsync(CancellationToken cancellationToken)
    {
        var process = await started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await disposed.CancelAsync().ConfigureAwait(false);
        output.Writer.TryComplete();
        lock (startLock)
        {
            // Nothing starts after this.
            started.TrySetCanceled();
        }

        if (started.Task.IsCompletedSuccessfully)
        {
            var process = started.Task.Result;
            if (!process.HasExited)
            {
                // setsid made the command its own group's leader: this reaches everything it started.
                ProcFs.SignalGroup(process.Id, ProcFs.SigKill);
                using var reap = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await process.WaitForExitAsync(reap.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Left to the kernel; nothing more to do here.
                }
            }

            process.Dispose();
        }

        stdinLock.Dispose();
        disposed.Dispose();
    }

    private async Task StartLaterAsync()
    {
        try
        {
            await Task.Delay(TerminalSizeWait, disposed.Token).ConfigureAwait(false);
            Launch(null);
        }
        catch (OperationCanceledException)
        {
            // Ended before it started.
        }
    }

    /// <summary>Starts the process unless it has started; true when this call started it.</summary>
    private bool Launch(TerminalSize? size)
    {
        lock (startLock)
        {
            if (started.Task.IsCompleted)
            {
                return false;
            }

            var process = new System.Diagnostics.Process { StartInfo = startInfo(size) };
            try
            {
                process.Start();
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                process.Dispose();
                output.Writer.TryWrite((ContainerOutput.StderrStream, System.Text.Encoding.UTF8.GetBytes(e.Message + "\n")));
                output.Writer.TryComplete();
                started.TrySetException(new InvalidOperationException(e.Message, e));
                return true;
            }

            var stdout = PumpAsync(process.StandardOutput.BaseStream, ContainerOutput.StdoutStream, request.Stdout);
            var stderr = PumpAsync(process.StandardError.BaseStream, ContainerOutput.StderrStream, request.Stderr);
            Task.WhenAll(stdout, stderr).ContinueWith(_ => output.Writer.TryComplete(), TaskScheduler.Default);
            if (!request.Stdin)
            {
                // The command reads end-of-file at once, as with a runtime that attaches no stdin.
                CloseStdin(process);
            }

            started.TrySetResult(process);
            return true;
        }
    }

    private void CloseStdin(System.Diagnostics.Process process)
    {
        if (stdinClosed)
        {
            return;
        }

        stdinClosed = true;
        try
        {
            process.StandardInput.BaseStream.Dispose();
        }
        catch (IOException)
        {
            // Already broken.
        }
    }

    private async Task PumpAsync(Stream from, int stream, bool wanted)
    {
        var buffer = new byte[32 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                if (wanted)
                {
                    await output.Writer.WriteAsync((stream, buffer[..read])).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or ChannelClosedException)
        {
            // The process is gone or the session ended.
        }
    }
}
