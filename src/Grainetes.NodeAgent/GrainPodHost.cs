using System.Text.Json.Nodes;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.NodeAgent.Kubelet;

namespace Grainetes.NodeAgent;

/// <summary>The pod workers' view of the cluster: every report goes through this node's agent grain.</summary>
public sealed class GrainPodHost(IGrainFactory grains, string nodeName, string hostIP) : IPodHost
{
    private INodeAgentGrain Agent => grains.GetGrain<INodeAgentGrain>(nodeName);

    public string NodeName => nodeName;

    public string HostIP => hostIP;

    public Task ReportStatusAsync(string @namespace, string name, string uid, JsonObject status, CancellationToken cancellationToken) =>
        Agent.ReportPodStatus(@namespace, name, uid, status.ToJsonString());

    public Task RecordEventAsync(JsonObject pod, string type, string reason, string message, string? fieldPath, CancellationToken cancellationToken) =>
        Agent.RecordPodEvent(pod.ToJsonString(), type, reason, message, fieldPath);

    public async Task<JsonObject?> GetObjectAsync(string resource, string @namespace, string name, CancellationToken cancellationToken)
    {
        var json = await grains.GetGrain<IObjectGrain>(new ObjectKey(resource, @namespace, name).GrainKey).Get();
        return json is null ? null : JsonNode.Parse(json) as JsonObject;
    }

    public async Task<IReadOnlyList<JsonObject>> ListServicesAsync(string @namespace, CancellationToken cancellationToken)
    {
        var listed = await grains.GetGrain<IResourceCollectionGrain>("services").List(new ListRequest { Namespace = @namespace });
        return listed.Items.Select(i => JsonNode.Parse(i)!.AsObject()).ToList();
    }

    public Task PodTerminatedAsync(string @namespace, string name, string uid, CancellationToken cancellationToken) =>
        Agent.PodTerminated(@namespace, name, uid);
}
