namespace Grainetes.NodeAgent.Runtime;

/// <summary>
/// A pod's sandbox as the runtime made it: its id, IP, and the host directory of each emptyDir volume and of each
/// volume whose files the kubelet writes (<see cref="PodSandboxSpec.FileVolumes"/>).
/// </summary>
public sealed record PodSandbox(string PodUid, string SandboxId, string PodIP, IReadOnlyDictionary<string, string> VolumePaths);
