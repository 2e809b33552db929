using System.Text.Json;

namespace Grainetes.Benchmarks.Workloads;

/// <summary>
/// A pod as the latest watch event showed it, and the Stopwatch timestamps of the watch lines that first showed it,
/// first showed it bound to a node, and first showed it Ready (0 while not yet).
/// </summary>
public sealed record TrackedPod(string Name, bool Ready, bool Deleting, int Restarts, string? Revision, long FirstSeen, long BoundAt, long ReadyAt)
{
    /// <summary>The pod-template annotation the rolling update changes, so old and new pods can be told apart.</summary>
    public const string RevisionAnnotation = "bench.grainetes.io/revision";

    public bool Live => !Deleting;

    public static TrackedPod From(JsonElement pod, TrackedPod? before, long at)
    {
        var meta = pod.GetProperty("metadata");
        var deleting = meta.TryGetProperty("deletionTimestamp", out var ts) && ts.ValueKind == JsonValueKind.String;
        string? revision = null;
        if (meta.TryGetProperty("annotations", out var annotations) && annotations.ValueKind == JsonValueKind.Object
            && annotations.TryGetProperty(RevisionAnnotation, out var r))
        {
            revision = r.GetString();
        }

        var restarts = 0;
        if (pod.TryGetProperty("status", out var status) && status.TryGetProperty("containerStatuses", out var containers)
            && containers.ValueKind == JsonValueKind.Array)
        {
            foreach (var c in containers.EnumerateArray())
            {
                if (c.TryGetProperty("restartCount", out var n) && n.ValueKind == JsonValueKind.Number)
                {
                    restarts += n.GetInt32();
                }
            }
        }

        var ready = PodWatch.IsReady(pod);
        var bound = PodWatch.NodeName(pod).Length > 0;
        return new TrackedPod(
            PodWatch.Name(pod),
            ready,
            deleting,
            restarts,
            revision,
            before?.FirstSeen ?? at,
            before is { BoundAt: > 0 } ? before.BoundAt : bound ? at : 0,
            before is { ReadyAt: > 0 } ? before.ReadyAt : ready ? at : 0);
    }
}
