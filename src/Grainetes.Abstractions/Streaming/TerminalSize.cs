namespace Grainetes.Abstractions.Streaming;

/// <summary>A terminal's size in character cells, as the resize channel sends it.</summary>
public readonly record struct TerminalSize(ushort Width, ushort Height);
