using System.Net.Sockets;
using Grainetes.Abstractions.Streaming;
using Grainetes.Machinery.Errors;
using Grainetes.NodeAgent.Kubelet;
using Grainetes.NodeAgent.Runtime;
using Microsoft.Extensions.Options;

namespace Grainetes.NodeAgent.Streaming;

/// <summary>
/// This host's kubelet streaming server: finds the pod's worker and container on this node and opens the
/// runtime's exec, attach or port connection. Runs in the API server's request, outside any grain call, so a
/// session may last as long as the client wants.
/// </summary>
public sealed class NodeStreamingService(PodWorkerRegistry pods, IContainerRuntime runtime, IOptions<NodeAgentOptions> options) : INodeStreaming
{
    public string NodeName => options.Value.NodeName;

    public Task<IContainerStreamSession> ExecAsync(ContainerStreamRequest request, CancellationToken cancellationToken) =>
        OpenAsync(request, (streaming, id) => streaming.ExecStreamAsync(id, request, cancellationToken));

    public Task<IContainerStreamSession> AttachAsync(ContainerStreamRequest request, CancellationToken cancellationToken) =>
        OpenAsync(request, (streaming, id) => streaming.AttachStreamAsync(id, request, cancellationToken));

    public async Task<Socket> ConnectPortAsync(string @namespace, string pod, int port, CancellationToken cancellationToken)
    {
        var worker = Worker(@namespace, pod);
        var sandbox = worker.Sandbox ?? throw ApiException.BadRequest($"pod {pod} has no network yet");
        return await Streaming().ConnectPortAsync(sandbox, port, cancellationToken).ConfigureAwait(false);
    }

    private async Task<IContainerStreamSession> OpenAsync(ContainerStreamRequest request, Func<IContainerStreamingRuntime, string, Task<IContainerStreamSession>> open)
    {
        var worker = Worker(request.Namespace, request.Pod);
        var id = worker.FindContainerId(request.Container);
        var state = id is null ? null : worker.Containers.FirstOrDefault(c => c.ContainerId == id);
        if (id is null || state?.Status != ContainerStatus.Running)
        {
            throw ApiException.BadRequest($"container not found (\"{request.Container}\")");
        }

        try
        {
            return await open(Streaming(), id).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            throw ApiException.BadRequest($"unable to start a stream in container {request.Container}: {e.Message}");
        }
    }

    private PodWorker Worker(string @namespace, string pod) =>
        pods.Find(@namespace, pod) ?? throw ApiException.NotFound("pods", pod);

    private IContainerStreamingRuntime Streaming() =>
        runtime as IContainerStreamingRuntime ?? throw ApiException.BadRequest($"the {runtime.Name} runtime serves no streams");
}
