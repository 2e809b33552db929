namespace Grainetes.NodeAgent.Kubelet;

/// <summary>A pod worker's finished syncs and the time it next wakes by itself.</summary>
internal sealed record SyncProgress(long Syncs, DateTimeOffset WakeAt);
