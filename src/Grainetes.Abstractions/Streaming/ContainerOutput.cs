namespace Grainetes.Abstractions.Streaming;

/// <summary>One read of a container session's output: how many bytes, and from which stream (1 stdout, 2 stderr). A count of 0 is the end.</summary>
public readonly record struct ContainerOutput(int Stream, int Count)
{
    public const int StdoutStream = 1;

    public const int StderrStream = 2;

    public static ContainerOutput End => new(StdoutStream, 0);

    public bool IsEnd => Count == 0;
}
