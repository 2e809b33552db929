using System.Text.Json.Nodes;
using Grainetes.NodeAgent.Runtime;
using Microsoft.Extensions.Logging;

namespace Grainetes.NodeAgent.Kubelet;

// Placeholder until the full implementation lands; replaced wholesale on merge.
public sealed class PodWorker(JsonObject pod, IContainerRuntime runtime, IPodHost host, KubeletOptions options, TimeProvider time, ILogger logger)
{
    private JsonObject current = pod;

    public void Update(JsonObject pod) => current = pod;

    public Task RunAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public string? FindContainerId(string? container, bool previous) => null;

    internal object Unused => (runtime, host, options, time, logger, current);
}
