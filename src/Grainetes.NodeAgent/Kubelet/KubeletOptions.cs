namespace Grainetes.NodeAgent.Kubelet;

// Placeholder until the full implementation lands; replaced wholesale on merge.
public sealed class KubeletOptions
{
}
