using System.Threading.Channels;
using Grainetes.Abstractions.Streaming;

namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>
/// An exec in the process runtime: a process (in its own session and group) whose pipes carry stdin, stdout and
/// stderr; with a TTY, <c>script</c> between it and the command owns the terminal, and resizes go to that terminal.
/// Ending the session early kills the command's process group.
/// </summary>
internal sealed class ProcessExecSession : IContainerStreamSession
{
    private readonly System.Diagnostics.Process process;
    private readonly ContainerStreamRequest request;
    private readonly bool terminal;
    private readonly Channel<(int Stream, byte[] Data)> output = Channel.CreateBounded<(int, byte[])>(new BoundedChannelOptions(16) { SingleReader = true });
    private readonly SemaphoreSlim stdinLock = new(1, 1);
    private (int Stream, byte[] Data) current;
    private int offset;
    private bool stdinClosed;

    private ProcessExecSession(System.Diagnostics.Process process, ContainerStreamRequest request, bool terminal)
    {
        this.process = process;
        this.request = request;
        this.terminal = terminal;
        var stdout = PumpAsync(process.StandardOutput.BaseStream, ContainerOutput.StdoutStream, request.Stdout);
        var stderr = PumpAsync(process.StandardError.BaseStream, ContainerOutput.StderrStream, request.Stderr);
        Task.WhenAll(stdout, stderr).ContinueWith(_ => output.Writer.TryComplete(), TaskScheduler.Default);
    }

    /// <param name="terminal">Whether the process is <c>script</c> holding a terminal for the command.</param>
    public static ProcessExecSession Start(System.Diagnostics.ProcessStartInfo startInfo, ContainerStreamRequest request, bool terminal)
    {
        var process = new System.Diagnostics.Process { StartInfo = startInfo };
        process.Start();
        var session = new ProcessExecSession(process, request, terminal);
        if (!request.Stdin)
        {
            // The command reads end-of-file at once, as with a runtime that attaches no stdin.
            session.stdinClosed = true;
            process.StandardInput.BaseStream.Dispose();
        }

        return session;
    }

    public async ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
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
        await stdinLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!stdinClosed)
            {
                stdinClosed = true;
                process.StandardInput.BaseStream.Dispose();
            }
        }
        catch (IOException)
        {
            // Already broken.
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

        // The first size arrives as the exec starts, maybe before script has made the terminal: look for a moment.
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
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        output.Writer.TryComplete();
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
        stdinLock.Dispose();
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
