namespace Grainetes.NodeAgent.Runtime;

/// <summary>The outcome of a command run in a container.</summary>
public sealed record ExecResult(int ExitCode, string Output, bool TimedOut);
