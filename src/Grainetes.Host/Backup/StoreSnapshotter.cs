using Grainetes.Abstractions.Store;
using Grainetes.Grains.Storage;

namespace Grainetes.Host.Backup;

/// <summary>
/// Reads each kind's objects from the store's tables, consistent at one resource version per kind, while silos keep
/// writing. The change log is append-only in version order, so a read of it is a prefix; the index only ever holds
/// changes that were logged before it was written, and its bookkeeping row says up to which version it is complete.
/// So: read that row (indexed up to I), then the index, then the log after I. Every index row is then at most the
/// log's last version V, every change the index may have missed is in the log read, and laying the log over the index
/// (newest version per object wins, a deletion removes) gives exactly the state after the changes up to V.
/// </summary>
public sealed class StoreSnapshotter(ChangeLogStore store)
{
    public async Task<IReadOnlyList<string>> KindsAsync(CancellationToken cancellationToken) =>
        (await store.ListKindsAsync(cancellationToken)).Order(StringComparer.Ordinal).ToList();

    public async Task<KindSnapshot> ReadAsync(string kind, CancellationToken cancellationToken)
    {
        var before = await store.LoadMetadataAsync(kind, cancellationToken);
        var objects = new Dictionary<(string Namespace, string Name), (long Version, string? Json)>();
        var cut = before.IndexedUpTo;
        foreach (var row in await store.LoadIndexAsync(kind, cancellationToken))
        {
            objects[(row.Namespace, row.Name)] = (row.ResourceVersion, row.Json);
            cut = Math.Max(cut, row.ResourceVersion);
        }

        foreach (var change in await store.ReadAsync(kind, before.IndexedUpTo, int.MaxValue, cancellationToken))
        {
            cut = Math.Max(cut, change.ResourceVersion);
            var key = (change.Namespace, change.Name);
            if (objects.TryGetValue(key, out var known) && known.Version >= change.ResourceVersion)
            {
                continue;
            }

            objects[key] = (change.ResourceVersion, change.Type == WatchEventType.Deleted ? null : change.Json);
        }

        // Read last, so the counter covers every version the log read could have shown.
        var after = await store.LoadMetadataAsync(kind, cancellationToken);
        return new KindSnapshot(
            kind,
            cut,
            Math.Max(after.ReservedUpTo, cut),
            objects.Where(o => o.Value.Json is not null)
                .OrderBy(o => o.Key.Namespace, StringComparer.Ordinal).ThenBy(o => o.Key.Name, StringComparer.Ordinal)
                .Select(o => (o.Key.Namespace, o.Key.Name, o.Value.Version, o.Value.Json!))
                .ToList());
    }
}
