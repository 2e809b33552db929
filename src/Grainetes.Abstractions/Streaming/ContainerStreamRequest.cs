namespace Grainetes.Abstractions.Streaming;

/// <summary>
/// An exec or attach into one container of a pod on this node, with the streams the client asked for
/// (<c>stdin</c>, <c>stdout</c>, <c>stderr</c>, <c>tty</c> query parameters of <c>pods/exec</c> and <c>pods/attach</c>).
/// </summary>
public sealed record ContainerStreamRequest
{
    public required string Namespace { get; init; }

    public required string Pod { get; init; }

    public required string Container { get; init; }

    /// <summary>The command to run (exec); empty for attach.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    public bool Stdin { get; init; }

    public bool Stdout { get; init; }

    public bool Stderr { get; init; }

    /// <summary>A terminal: stderr is merged into stdout, and resizes apply.</summary>
    public bool Tty { get; init; }
}
