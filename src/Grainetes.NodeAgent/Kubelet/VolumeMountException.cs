namespace Grainetes.NodeAgent.Kubelet;

/// <summary>A volume's files cannot be written yet (its Secret, ConfigMap or a key is missing): the kubelet's <c>FailedMount</c>.</summary>
internal sealed class VolumeMountException(string message) : Exception(message);
