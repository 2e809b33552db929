namespace Grainetes.NodeAgent.Runtime;

/// <summary>A host directory mounted into a container.</summary>
public sealed record VolumeMount(string HostPath, string ContainerPath, bool ReadOnly);
