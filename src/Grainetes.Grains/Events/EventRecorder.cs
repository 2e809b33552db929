using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Errors;

namespace Grainetes.Grains.Events;

/// <summary>
/// Records Kubernetes <c>Event</c>s about an object (what <c>kubectl describe</c> shows). Recording is
/// best effort: an event that cannot be written never fails the work it describes.
/// </summary>
public sealed class EventRecorder(IGrainFactory grains, TimeProvider time)
{
    /// <param name="involved">The object the event is about (its JSON: kind, apiVersion, metadata).</param>
    /// <param name="type"><c>Normal</c> or <c>Warning</c>.</param>
    /// <param name="reason">A short CamelCase reason such as <c>Scheduled</c> or <c>FailedScheduling</c>.</param>
    /// <param name="component">The reporting component, such as <c>default-scheduler</c> or <c>kubelet</c>.</param>
    /// <param name="host">The node name for kubelet events.</param>
    /// <param name="fieldPath">The part of the object, such as <c>spec.containers{web}</c>.</param>
    public async Task RecordAsync(JsonObject involved, string type, string reason, string message, string component, string? host = null, string? fieldPath = null)
    {
        var meta = involved["metadata"];
        var name = (string?)meta?["name"] ?? "unknown";
        var ns = (string?)meta?["namespace"] ?? "default";
        var now = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var eventName = $"{name}.{RandomNumberGenerator.GetHexString(16, lowercase: true)}";
        var involvedObject = new JsonObject
        {
            ["kind"] = (string?)involved["kind"],
            ["namespace"] = ns,
            ["name"] = name,
            ["uid"] = (string?)meta?["uid"],
            ["apiVersion"] = (string?)involved["apiVersion"],
            ["resourceVersion"] = (string?)meta?["resourceVersion"],
        };
        if (fieldPath is not null)
        {
            involvedObject["fieldPath"] = fieldPath;
        }

        var source = new JsonObject { ["component"] = component };
        if (host is not null)
        {
            source["host"] = host;
        }

        var ev = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = eventName, ["namespace"] = ns },
            ["involvedObject"] = involvedObject,
            ["reason"] = reason,
            ["message"] = message,
            ["source"] = source,
            ["firstTimestamp"] = now,
            ["lastTimestamp"] = now,
            ["count"] = 1,
            ["type"] = type,
            ["reportingComponent"] = component,
            ["reportingInstance"] = host ?? component,
        };
        try
        {
            await grains.GetGrain<IObjectGrain>(new ObjectKey("events", ns, eventName).GrainKey).Create(ev.ToJsonString(), WriteOptions.Default);
        }
        catch (ApiException)
        {
            // Best effort, as in Kubernetes: a lost event loses information, never work.
        }
    }
}
