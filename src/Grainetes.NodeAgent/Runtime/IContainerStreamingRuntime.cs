using System.Net.Sockets;
using Grainetes.Abstractions.Streaming;

namespace Grainetes.NodeAgent.Runtime;

/// <summary>
/// What <c>kubectl exec</c>, <c>attach</c>, <c>cp</c> and <c>port-forward</c> need from a container runtime, beside
/// <see cref="IContainerRuntime"/> (a runtime without it serves no streams). Sessions outlive the call that opens
/// them: <paramref name="cancellationToken"/> of the open calls bounds the session's whole life.
/// </summary>
public interface IContainerStreamingRuntime
{
    /// <summary>Runs <see cref="ContainerStreamRequest.Command"/> in the running container, with its environment and working directory.</summary>
    Task<IContainerStreamSession> ExecStreamAsync(string containerId, ContainerStreamRequest request, CancellationToken cancellationToken);

    /// <summary>Attaches to the container's main process: its output from now on, and its stdin when the pod spec opened one.</summary>
    Task<IContainerStreamSession> AttachStreamAsync(string containerId, ContainerStreamRequest request, CancellationToken cancellationToken);

    /// <summary>Connects to <paramref name="port"/> in the pod's network namespace.</summary>
    Task<Socket> ConnectPortAsync(PodSandbox sandbox, int port, CancellationToken cancellationToken);
}
