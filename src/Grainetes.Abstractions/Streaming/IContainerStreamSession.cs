namespace Grainetes.Abstractions.Streaming;

/// <summary>
/// A running exec or attach: the client's stdin goes in, the container's output comes out, and the exit code
/// (exec only) ends it. Disposing ends the session; for an exec that is still running, the runtime stops the
/// command where it can.
/// </summary>
public interface IContainerStreamSession : IAsyncDisposable
{
    /// <summary>Writes to the command's stdin; ignored when the session has none or the command no longer reads it.</summary>
    ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Closes the command's stdin, so it reads end-of-file (the v5 protocol's close of channel 0).</summary>
    ValueTask CloseStdinAsync(CancellationToken cancellationToken);

    /// <summary>Resizes the terminal; ignored without one.</summary>
    ValueTask ResizeAsync(TerminalSize size, CancellationToken cancellationToken);

    /// <summary>Reads the next output into <paramref name="buffer"/>; <see cref="ContainerOutput.IsEnd"/> once every output stream has ended.</summary>
    ValueTask<ContainerOutput> ReadOutputAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>The command's exit code once it has ended (after the output's end); null when there is none to tell (attach).</summary>
    Task<int?> WaitForExitAsync(CancellationToken cancellationToken);
}
