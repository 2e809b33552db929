namespace Grainetes.NodeAgent.Kubelet;

/// <summary>A container cannot be configured yet (a referenced ConfigMap, Secret or key is missing): <c>CreateContainerConfigError</c>.</summary>
internal sealed class ContainerConfigException(string message) : Exception(message);
