using System.Text.Json.Nodes;
using Grainetes.NodeAgent.Kubelet;

namespace Grainetes.Tests.Kubelet;

/// <summary>Records what a pod worker reports and serves the ConfigMaps and Secrets a test puts in.</summary>
internal sealed class FakePodHost : IPodHost
{
    private readonly Lock gate = new();
    private readonly List<JsonObject> statuses = [];
    private readonly List<RecordedEvent> events = [];
    private readonly Dictionary<(string Resource, string Namespace, string Name), JsonObject> objects = [];
    private readonly TaskCompletionSource terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string NodeName => "node-1";

    public string HostIP => "192.168.0.10";

    public IReadOnlyList<JsonObject> Statuses { get { lock (gate) return [.. statuses]; } }

    public JsonObject? LastStatus { get { lock (gate) return statuses.LastOrDefault(); } }

    public IReadOnlyList<RecordedEvent> Events { get { lock (gate) return [.. events]; } }

    public int TerminatedCount { get; private set; }

    public Task Terminated => terminated.Task;

    public void Put(string resource, string @namespace, string name, JsonObject obj)
    {
        lock (gate) objects[(resource, @namespace, name)] = obj;
    }

    public Task ReportStatusAsync(string @namespace, string name, string uid, JsonObject status, CancellationToken cancellationToken)
    {
        // A copy, so that what was reported cannot change under the test.
        lock (gate) statuses.Add((JsonObject)status.DeepClone());
        return Task.CompletedTask;
    }

    public Task RecordEventAsync(JsonObject pod, string type, string reason, string message, string? fieldPath, CancellationToken cancellationToken)
    {
        lock (gate) events.Add(new RecordedEvent(type, reason, message, fieldPath));
        return Task.CompletedTask;
    }

    public Task<JsonObject?> GetObjectAsync(string resource, string @namespace, string name, CancellationToken cancellationToken)
    {
        lock (gate) return Task.FromResult(objects.TryGetValue((resource, @namespace, name), out var obj) ? (JsonObject?)obj.DeepClone() : null);
    }

    public Task<IReadOnlyList<JsonObject>> ListServicesAsync(string @namespace, CancellationToken cancellationToken)
    {
        lock (gate)
        {
            return Task.FromResult<IReadOnlyList<JsonObject>>(objects
                .Where(o => o.Key.Resource == "services" && o.Key.Namespace == @namespace)
                .Select(o => (JsonObject)o.Value.DeepClone())
                .ToList());
        }
    }

    public Task PodTerminatedAsync(string @namespace, string name, string uid, CancellationToken cancellationToken)
    {
        lock (gate) TerminatedCount++;
        terminated.TrySetResult();
        return Task.CompletedTask;
    }
}
