namespace Grainetes.NodeAgent.Runtime;

/// <summary>What a pod's sandbox needs: identity, host ports, and its emptyDir volumes by name.</summary>
public sealed record PodSandboxSpec(
    string PodUid,
    string Namespace,
    string PodName,
    IReadOnlyList<PortMapping> HostPorts,
    IReadOnlyList<string> EmptyDirVolumes);
