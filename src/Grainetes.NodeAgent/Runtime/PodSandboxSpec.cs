namespace Grainetes.NodeAgent.Runtime;

/// <summary>
/// What a pod's sandbox needs: identity, host ports, its emptyDir volumes by name, and the volumes whose files the
/// kubelet writes itself (Secret, ConfigMap, projected), which get a directory of their own beside the emptyDirs.
/// </summary>
public sealed record PodSandboxSpec(
    string PodUid,
    string Namespace,
    string PodName,
    IReadOnlyList<PortMapping> HostPorts,
    IReadOnlyList<string> EmptyDirVolumes,
    IReadOnlyList<string>? FileVolumes = null);
