using System.Net.Sockets;

namespace Grainetes.Abstractions.Streaming;

/// <summary>
/// The streaming server of this host's kubelet: exec, attach and port-forward into pods that run on this node.
/// The API server on the same silo uses it for pods of <see cref="NodeName"/> and relays other pods' streams to
/// their node's API endpoint. Failures before a stream exists are <c>ApiException</c>s (404 pod, 400 container).
/// </summary>
public interface INodeStreaming
{
    /// <summary>The node whose pods this host serves.</summary>
    string NodeName { get; }

    /// <summary>Starts <see cref="ContainerStreamRequest.Command"/> in the container.</summary>
    Task<IContainerStreamSession> ExecAsync(ContainerStreamRequest request, CancellationToken cancellationToken);

    /// <summary>Attaches to the container's main process.</summary>
    Task<IContainerStreamSession> AttachAsync(ContainerStreamRequest request, CancellationToken cancellationToken);

    /// <summary>A connected TCP socket to <paramref name="port"/> in the pod's network namespace.</summary>
    Task<Socket> ConnectPortAsync(string @namespace, string pod, int port, CancellationToken cancellationToken);
}
