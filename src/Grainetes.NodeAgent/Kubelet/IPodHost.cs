using System.Text.Json.Nodes;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>
/// What a pod worker needs from the node around it: where to report status and events, how to read
/// the objects a pod refers to, and how to finish a deletion. Implemented by the node agent over grains.
/// </summary>
public interface IPodHost
{
    /// <summary>The node this agent runs (for <c>spec.nodeName</c>, events and the downward API).</summary>
    string NodeName { get; }

    /// <summary>This host's address (<c>status.hostIP</c>).</summary>
    string HostIP { get; }

    /// <summary>Writes the pod's <c>status</c> (the whole status object) through the pod's /status subresource.</summary>
    Task ReportStatusAsync(string @namespace, string name, string uid, JsonObject status, CancellationToken cancellationToken);

    /// <summary>Records an Event about the pod (<paramref name="fieldPath"/> such as <c>spec.containers{web}</c>).</summary>
    Task RecordEventAsync(JsonObject pod, string type, string reason, string message, string? fieldPath, CancellationToken cancellationToken);

    /// <summary>Reads a ConfigMap (or Secret, by <paramref name="resource"/>) for env and volumes; null when absent.</summary>
    Task<JsonObject?> GetObjectAsync(string resource, string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>
    /// The Services of a namespace, for the service environment variables. Hosts that know of no services
    /// (test fakes written before service links) see none.
    /// </summary>
    Task<IReadOnlyList<JsonObject>> ListServicesAsync(string @namespace, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<JsonObject>>([]);

    /// <summary>
    /// Called once every container of a pod marked for deletion is gone: removes the pod object
    /// (grace period 0), as the kubelet does after graceful termination.
    /// </summary>
    Task PodTerminatedAsync(string @namespace, string name, string uid, CancellationToken cancellationToken);
}
