namespace Grainetes.NodeAgent.Runtime;

/// <summary>Which part of a container's log to read, as <c>kubectl logs</c> asks.</summary>
public sealed record LogOptions(bool Follow = false, int? TailLines = null, bool Timestamps = false, DateTimeOffset? Since = null);
