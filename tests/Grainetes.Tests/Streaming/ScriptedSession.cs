using System.Threading.Channels;
using Grainetes.Abstractions.Streaming;

namespace Grainetes.Tests.Streaming;

/// <summary>A container session whose output the test writes and whose input it reads: the far end of the channel protocol.</summary>
internal sealed class ScriptedSession : IContainerStreamSession
{
    private readonly Channel<(int Stream, byte[] Data)> output = Channel.CreateUnbounded<(int, byte[])>();
    private readonly TaskCompletionSource<int?> exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Channel<byte[]> Stdin { get; } = Channel.CreateUnbounded<byte[]>();

    public Channel<TerminalSize> Resizes { get; } = Channel.CreateUnbounded<TerminalSize>();

    public bool Disposed { get; private set; }

    public void Write(int stream, string text) => output.Writer.TryWrite((stream, System.Text.Encoding.UTF8.GetBytes(text)));

    public void Exit(int? code)
    {
        output.Writer.TryComplete();
        exit.TrySetResult(code);
    }

    public ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        Stdin.Writer.TryWrite(data.ToArray());
        return ValueTask.CompletedTask;
    }

    public ValueTask CloseStdinAsync(CancellationToken cancellationToken)
    {
        Stdin.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    public ValueTask ResizeAsync(TerminalSize size, CancellationToken cancellationToken)
    {
        Resizes.Writer.TryWrite(size);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<ContainerOutput> ReadOutputAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!await output.Reader.WaitToReadAsync(cancellationToken))
        {
            return ContainerOutput.End;
        }

        output.Reader.TryRead(out var chunk);
        chunk.Data.CopyTo(buffer);
        return new ContainerOutput(chunk.Stream, chunk.Data.Length);
    }

    public Task<int?> WaitForExitAsync(CancellationToken cancellationToken) => exit.Task.WaitAsync(cancellationToken);

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
