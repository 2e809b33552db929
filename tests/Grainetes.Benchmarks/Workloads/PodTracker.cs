using System.Diagnostics;
using System.Text.Json;

namespace Grainetes.Benchmarks.Workloads;

/// <summary>
/// The pods of one namespace as a watch shows them, and waits on conditions over them. A wait is registered before
/// the action it times, and completes with the timestamp of the watch line that made its condition true.
/// </summary>
public sealed class PodTracker
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TrackedPod> _pods = new(StringComparer.Ordinal);
    private readonly List<(Func<IReadOnlyCollection<TrackedPod>, bool> Done, TaskCompletionSource<long> Completion)> _waiters = [];

    public void OnEvent(string type, JsonElement pod, long at)
    {
        lock (_gate)
        {
            var name = PodWatch.Name(pod);
            if (type == "DELETED")
            {
                _pods.Remove(name);
            }
            else if (type is "ADDED" or "MODIFIED")
            {
                _pods[name] = TrackedPod.From(pod, _pods.GetValueOrDefault(name), at);
            }

            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Done(_pods.Values))
                {
                    _waiters[i].Completion.TrySetResult(at);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    public IReadOnlyList<TrackedPod> Snapshot()
    {
        lock (_gate)
        {
            return [.. _pods.Values];
        }
    }

    /// <summary>Starts waiting for <paramref name="done"/>; if it already holds, the wait completes now.</summary>
    public Task<long> When(Func<IReadOnlyCollection<TrackedPod>, bool> done)
    {
        var completion = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (done(_pods.Values))
            {
                completion.SetResult(Stopwatch.GetTimestamp());
            }
            else
            {
                _waiters.Add((done, completion));
            }
        }

        return completion.Task;
    }

    /// <summary>Live (not deleting) pods that are Ready.</summary>
    public static int ReadyCount(IReadOnlyCollection<TrackedPod> pods) => pods.Count(p => p.Live && p.Ready);
}
