using System.Diagnostics;
using Grainetes.Abstractions.Services;
using Grainetes.Abstractions.Store;
using Grainetes.Grains.Hosting;
using Grainetes.Grains.Storage;
using Grainetes.Grains.Store;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Storage;

namespace Grainetes.Host.Backup;

/// <summary>
/// Writes a checked backup into an empty store, so a silo started on it afterwards finds every object as it was: the
/// object grains' rows, the index, and each kind's bookkeeping row. Object rows are written through the very grain
/// storage provider silos use (in a private, clientless silo on loopback), so their format is Orleans' own.
/// </summary>
/// <remarks>
/// Objects keep their uids and resource versions. The change log starts empty: each kind's counter resumes above the
/// version it had reached when the backup was taken plus <see cref="VersionGap"/>, and everything below that counts as
/// compacted, so a watch from a version before the restore gets 410 Gone and relists — never old events, never a
/// version that goes backwards.
/// </remarks>
public sealed class StoreRestorer(string connectionString, string clusterId, string? storeSecretsKey)
{
    /// <summary>Versions a restored kind skips, so it also stays above what the old cluster handed out after the backup.</summary>
    public long VersionGap { get; init; } = 1_000_000;

    public int Parallelism { get; init; } = 16;

    /// <param name="plainEntries">The backup's entries with Secrets already opened (plain JSON).</param>
    public async Task<RestoreSummary> RestoreAsync(BackupHeader header, IReadOnlyList<BackupEntry> plainEntries, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var silo = BuildSilo();
        await silo.StartAsync(cancellationToken);
        try
        {
            var services = silo.Services;
            var grains = services.GetRequiredService<IGrainFactory>();
            var protector = services.GetRequiredService<StoredValueProtector>();
            var storage = services.GetRequiredKeyedService<IGrainStorage>(ObjectGrain.StorageName);
            var store = services.GetRequiredService<ChangeLogStore>();
            await store.EnsureCreatedAsync(cancellationToken);

            // 1. The commit point of every object: its grain's row.
            await Parallel.ForEachAsync(plainEntries, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (e, _) =>
            {
                var id = grains.GetGrain<IObjectGrain>(new ObjectKey(e.Kind, e.Namespace, e.Name).GrainKey).GetGrainId();
                var state = new GrainState<StoredObjectState>(new StoredObjectState { Json = protector.Protect(e.Kind, e.Object), ResourceVersion = e.ResourceVersion });
                await storage.WriteStateAsync("object", id, state);
            });

            // 2. The index, from which each kind's collection builds its cache.
            var kinds = new List<(string Kind, long Objects, long ResumesAfter)>();
            foreach (var cut in header.Kinds)
            {
                var events = plainEntries.Where(e => e.Kind == cut.Kind)
                    .Select(e => new ChangeEvent(e.ResourceVersion, WatchEventType.Added, e.Namespace, e.Name, e.Object))
                    .ToList();
                await store.ApplyToIndexAsync(cut.Kind, events, cancellationToken);
                kinds.Add((cut.Kind, events.Count, Math.Max(cut.ReservedUpTo, cut.ResourceVersion) + VersionGap));
            }

            // 3. Bookkeeping last: the counter resumes above the gap, and the empty log counts as compacted up to it.
            foreach (var (kind, _, resumesAfter) in kinds)
            {
                await store.SaveMetadataAsync(kind, new KindMetadata(resumesAfter, resumesAfter, resumesAfter), cancellationToken);
            }

            // The service allocator's row is not in the backup: it rebuilds it from the restored Services now, before
            // a new Service could be given an address a restored one holds.
            await grains.GetGrain<IServiceIpAllocatorGrain>("default").Repair();
            return new RestoreSummary(kinds, clock.Elapsed);
        }
        finally
        {
            await silo.StopAsync(CancellationToken.None);
        }
    }

    private IHost BuildSilo()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort.Next(), FreePort.Next(), serviceId: clusterId, clusterId: clusterId);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = clusterId;
            });
            silo.AddGrainetesGrains(o =>
            {
                o.ConnectionString = connectionString;
                o.SecretsEncryptionKey = storeSecretsKey;
            });
        });
        return builder.Build();
    }
}
