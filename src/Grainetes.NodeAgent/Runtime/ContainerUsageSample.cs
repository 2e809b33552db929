namespace Grainetes.NodeAgent.Runtime;

/// <summary>
/// One reading of a running container's resource use: its cumulative cpu time (a counter; rates come from two
/// readings) and its memory working set (a gauge), read at <see cref="At"/>.
/// </summary>
public sealed record ContainerUsageSample(string ContainerId, DateTimeOffset At, long CpuNanoseconds, long MemoryWorkingSetBytes);
