namespace Grainetes.NodeAgent.Kubelet;

/// <summary>One file of a Secret, ConfigMap or projected volume: its bytes and its permission bits.</summary>
internal sealed record FileProjection(byte[] Data, UnixFileMode Mode);
