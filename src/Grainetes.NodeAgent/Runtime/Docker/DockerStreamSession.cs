using System.Runtime.InteropServices;
using Docker.DotNet;
using Grainetes.Abstractions.Streaming;

namespace Grainetes.NodeAgent.Runtime.Docker;

/// <summary>An exec or attach on the Engine's hijacked connection (multiplexed frames, or raw bytes with a TTY).</summary>
/// <param name="halfCloseStdin">
/// Whether the end of the client's stdin half-closes the connection. The Engine then closes the process's stdin when
/// it attached with CloseStdin (an exec, or a container with StdinOnce) and otherwise ends the output too — so an
/// attach to any other container only stops sending, and its output goes on until the container ends.
/// </param>
internal sealed class DockerStreamSession(
    MultiplexedStream stream,
    bool stdin,
    bool halfCloseStdin,
    Func<TerminalSize, CancellationToken, Task>? resize,
    Func<CancellationToken, Task<int?>> exitCode) : IContainerStreamSession
{
    private int stdinClosed;

    public async ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (!stdin || Volatile.Read(ref stdinClosed) != 0)
        {
            return;
        }

        var segment = MemoryMarshal.TryGetArray(data, out var array) ? array : new ArraySegment<byte>(data.ToArray());
        try
        {
            await stream.WriteAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The process no longer reads its stdin.
        }
    }

    public ValueTask CloseStdinAsync(CancellationToken cancellationToken)
    {
        if (stdin && Interlocked.Exchange(ref stdinClosed, 1) == 0 && halfCloseStdin)
        {
            try
            {
                stream.CloseWrite();
            }
            catch (IOException)
            {
                // Gone already.
            }
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask ResizeAsync(TerminalSize size, CancellationToken cancellationToken)
    {
        if (resize is null || size.Width == 0 || size.Height == 0)
        {
            return;
        }

        try
        {
            await resize(size, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException)
        {
            // The process may be gone, or not started yet; the next resize tries again.
        }
    }

    public async ValueTask<ContainerOutput> ReadOutputAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!MemoryMarshal.TryGetArray<byte>(buffer, out var segment))
        {
            throw new ArgumentException("the buffer must be array-backed", nameof(buffer));
        }

        while (true)
        {
            var read = await stream.ReadOutputAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
            if (read.EOF)
            {
                return ContainerOutput.End;
            }

            if (read.Count > 0)
            {
                return new ContainerOutput(read.Target == MultiplexedStream.TargetStream.StandardError ? ContainerOutput.StderrStream : ContainerOutput.StdoutStream, read.Count);
            }
        }
    }

    public Task<int?> WaitForExitAsync(CancellationToken cancellationToken) => exitCode(cancellationToken);

    public ValueTask DisposeAsync()
    {
        stream.Dispose();
        return ValueTask.CompletedTask;
    }
}
