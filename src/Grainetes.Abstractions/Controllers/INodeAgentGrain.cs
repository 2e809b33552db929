namespace Grainetes.Abstractions.Controllers;

/// <summary>
/// The kubelet of one node, keyed by the node's name and pinned to that host's silo: keeps the node's
/// lease and Ready condition fresh, carries its pod workers' reports into the store, and serves what
/// only the host has (container logs).
/// </summary>
public interface INodeAgentGrain : IGrainWithStringKey
{
    /// <summary>Activates the agent (on its own silo) and starts its lease renewal; idempotent.</summary>
    Task Start();

    /// <summary>Writes a pod's status through its /status subresource, unless the pod is gone or replaced (uid).</summary>
    Task ReportPodStatus(string @namespace, string name, string uid, string statusJson);

    /// <summary>Records an Event about a pod.</summary>
    [OneWay]
    Task RecordPodEvent(string podJson, string type, string reason, string message, string? fieldPath);

    /// <summary>Every container of a deleted pod is gone: remove the pod object.</summary>
    Task PodTerminated(string @namespace, string name, string uid);

    /// <summary>A container's log lines (<c>kubectl logs</c>); follows while <paramref name="follow"/> until cancelled.</summary>
    [AlwaysInterleave]
    IAsyncEnumerable<string> StreamLogs(string @namespace, string pod, string? container, bool previous, int? tailLines, bool follow, bool timestamps);
}
