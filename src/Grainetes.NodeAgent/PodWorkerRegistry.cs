using System.Collections.Concurrent;
using Grainetes.NodeAgent.Kubelet;

namespace Grainetes.NodeAgent;

/// <summary>The pod workers running on this silo, by pod uid and by namespace/name, for the agent grain's lookups.</summary>
public sealed class PodWorkerRegistry
{
    private readonly ConcurrentDictionary<string, PodWorker> byUid = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Namespace, string Name), string> uidByName = new();

    public void Add(string uid, string ns, string name, PodWorker worker)
    {
        byUid[uid] = worker;
        uidByName[(ns, name)] = uid;
    }

    public void Remove(string uid, string ns, string name)
    {
        byUid.TryRemove(uid, out _);
        uidByName.TryRemove(new KeyValuePair<(string, string), string>((ns, name), uid));
    }

    public PodWorker? Find(string ns, string name) =>
        uidByName.TryGetValue((ns, name), out var uid) && byUid.TryGetValue(uid, out var worker) ? worker : null;

    public PodWorker? FindByUid(string uid) => byUid.TryGetValue(uid, out var worker) ? worker : null;

    public IReadOnlyCollection<string> Uids => byUid.Keys.ToList();

    /// <summary>Every pod worker running now (a snapshot).</summary>
    public IReadOnlyCollection<PodWorker> Workers => byUid.Values.ToList();
}
