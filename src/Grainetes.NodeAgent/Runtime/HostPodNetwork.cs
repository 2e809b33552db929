namespace Grainetes.NodeAgent.Runtime;

/// <summary>
/// This host's pod network, prepared once by the runtime and shared by the kubelet (which puts sandboxes on it and
/// names it in the node's <c>podCIDR</c>) and the proxy (which makes cluster IPs local on its interface). A failed
/// preparation is tried again by the next caller.
/// </summary>
public sealed class HostPodNetwork(IContainerRuntime runtime)
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private PodNetwork? network;

    public async Task<PodNetwork> GetAsync(CancellationToken cancellationToken)
    {
        if (network is { } ready)
        {
            return ready;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return network ??= await runtime.PrepareNetworkAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
