namespace Grainetes.NodeAgent.Metrics;

/// <summary>One reading of the whole host: cumulative busy cpu time and the memory in use (total less available).</summary>
public sealed record HostUsageSample(DateTimeOffset At, long BusyCpuNanoseconds, long MemoryBytes);
