using Grainetes.Abstractions.Streaming;

namespace Grainetes.NodeAgent.Runtime.Process;

/// <summary>
/// An attach in the process runtime: the container's output from its log file (stdout and stderr are one file, so
/// both come on stdout), followed from the moment of attaching until the container ends, and its stdin through the
/// named pipe the container was started with (<c>stdin: true</c> in the pod spec).
/// </summary>
internal sealed class ProcessAttachSession(string logPath, Func<bool> finished, FileStream? stdin, TimeSpan pollInterval) : IContainerStreamSession
{
    private readonly long start = File.Exists(logPath) ? new FileInfo(logPath).Length : 0;
    private readonly SemaphoreSlim stdinLock = new(1, 1);
    private FileStream? log;
    private FileStream? input = stdin;

    public async ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await stdinLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (input is not null)
            {
                await input.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The container ended.
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
            // The container holds its pipe open itself, so it reads no end-of-file (stdinOnce is not honoured here).
            if (input is not null)
            {
                await input.DisposeAsync().ConfigureAwait(false);
                input = null;
            }
        }
        finally
        {
            stdinLock.Release();
        }
    }

    public ValueTask ResizeAsync(TerminalSize size, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public async ValueTask<ContainerOutput> ReadOutputAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (log is null && File.Exists(logPath))
            {
                log = new FileStream(logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, useAsync: false);
                log.Seek(start, SeekOrigin.Begin);
            }

            // Checked before reading, so that output written just before the end is still read.
            var done = finished();
            var read = log is null ? 0 : await log.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0)
            {
                return new ContainerOutput(ContainerOutput.StdoutStream, read);
            }

            if (done)
            {
                return ContainerOutput.End;
            }

            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<int?> WaitForExitAsync(CancellationToken cancellationToken) => Task.FromResult<int?>(null);

    public async ValueTask DisposeAsync()
    {
        if (log is not null)
        {
            await log.DisposeAsync().ConfigureAwait(false);
        }

        if (input is not null)
        {
            await input.DisposeAsync().ConfigureAwait(false);
        }

        stdinLock.Dispose();
    }
}
