namespace Grainetes.NodeAgent.Runtime;

/// <summary>A pod's sandbox as the runtime made it: its id, IP, and the host path of each emptyDir volume.</summary>
public sealed record PodSandbox(string PodUid, string SandboxId, string PodIP, IReadOnlyDictionary<string, string> VolumePaths);
