using System.Collections.Concurrent;

namespace Grainetes.Abstractions.Telemetry;

/// <summary>
/// How many objects of each kind the collection grains on this silo hold in memory. Each kind's collection lives
/// on one silo, so summing every silo's report gives the cluster's count; a kind whose collection moves away is
/// forgotten here and reported by its new silo.
/// </summary>
public sealed class ObjectCounts
{
    private readonly ConcurrentDictionary<string, long> counts = new(StringComparer.Ordinal);

    public void Report(string kind, long count) => counts[kind] = count;

    public void Forget(string kind) => counts.TryRemove(kind, out _);

    public IReadOnlyList<KeyValuePair<string, long>> Snapshot() => counts.ToArray();
}
