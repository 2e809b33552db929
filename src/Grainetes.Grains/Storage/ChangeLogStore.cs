using System.Globalization;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Grainetes.Abstractions.Store;
using Microsoft.Extensions.Options;

namespace Grainetes.Grains.Storage;

/// <summary>
/// The durable side of each kind: its ordered change log, its index of current objects and its
/// bookkeeping row, in Azure Table Storage. Writes go in entity-group batches of up to 100 rows.
/// </summary>
/// <remarks>
/// Log rows: partition = kind, row key = zero-padded resource version, so a range query reads a log
/// suffix in order. Index rows: partition = kind|namespace (one busy namespace cannot throttle the
/// rest), row key = name. Object JSON is split over several properties because one string property
/// holds at most 64 KiB.
/// </remarks>
public sealed class ChangeLogStore
{
    private const int MaxBatch = 100;
    private const int ChunkChars = 30_000;
    private const string MetaRow = "meta";

    private readonly TableServiceClient service;
    private readonly TableClient log;
    private readonly TableClient index;
    private readonly TableClient meta;
    private readonly SemaphoreSlim init = new(1, 1);
    private volatile bool initialized;

    private readonly StoredValueProtector protector;

    public ChangeLogStore(IOptions<StoreOptions> options, StoredValueProtector protector)
    {
        this.protector = protector;
        var o = options.Value;
        service = new TableServiceClient(o.ConnectionString);
        log = service.GetTableClient(o.TablePrefix + "Log");
        index = service.GetTableClient(o.TablePrefix + "Index");
        meta = service.GetTableClient(o.TablePrefix + "Meta");
    }

    /// <summary>Creates the tables once; later calls return at once.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        if (initialized)
        {
            return;
        }

        await init.WaitAsync(cancellationToken);
        try
        {
            if (!initialized)
            {
                await Task.WhenAll(
                    log.CreateIfNotExistsAsync(cancellationToken),
                    index.CreateIfNotExistsAsync(cancellationToken),
                    meta.CreateIfNotExistsAsync(cancellationToken));
                initialized = true;
            }
        }
        finally
        {
            init.Release();
        }
    }

    /// <summary>True when the storage account answers; used by <c>/readyz</c>.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await EnsureCreatedAsync(cancellationToken);
            await foreach (var _ in meta.QueryAsync<TableEntity>(maxPerPage: 1, cancellationToken: cancellationToken).AsPages(pageSizeHint: 1))
            {
                break;
            }

            return true;
        }
        catch (Exception ex) when (ex is RequestFailedException or HttpRequestException or TaskCanceledException or AggregateException)
        {
            return false;
        }
    }

    public async Task<KindMetadata> LoadMetadataAsync(string kind, CancellationToken cancellationToken = default)
    {
        await EnsureCreatedAsync(cancellationToken);
        var row = await meta.GetEntityIfExistsAsync<TableEntity>(kind, MetaRow, cancellationToken: cancellationToken);
        if (!row.HasValue || row.Value is null)
        {
            return KindMetadata.Empty;
        }

        var e = row.Value;
        return new KindMetadata(
            e.GetInt64("ReservedUpTo") ?? 0,
            e.GetInt64("IndexedUpTo") ?? 0,
            e.GetInt64("CompactedBelow") ?? 0);
    }

    /// <summary>Every kind that has a bookkeeping row: each kind's collection writes one when it first activates.</summary>
    public async Task<IReadOnlyList<string>> ListKindsAsync(CancellationToken cancellationToken = default)
    {
        await EnsureCreatedAsync(cancellationToken);
        var kinds = new List<string>();
        await foreach (var e in meta.QueryAsync<TableEntity>(select: ["PartitionKey"], cancellationToken: cancellationToken))
        {
            kinds.Add(e.PartitionKey);
        }

        return kinds;
    }

    public async Task SaveMetadataAsync(string kind, KindMetadata value, CancellationToken cancellationToken = default)
    {
        var entity = new TableEntity(kind, MetaRow)
        {
            ["ReservedUpTo"] = value.ReservedUpTo,
            ["IndexedUpTo"] = value.IndexedUpTo,
            ["CompactedBelow"] = value.CompactedBelow,
        };
        await meta.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>Appends events (ascending versions) to a kind's log.</summary>
    public async Task AppendAsync(string kind, IReadOnlyList<ChangeEvent> events, CancellationToken cancellationToken = default)
    {
        foreach (var chunk in events.Chunk(MaxBatch))
        {
            var actions = chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToLogEntity(kind, e)));
            await log.SubmitTransactionAsync(actions, cancellationToken);
        }
    }

    /// <summary>Reads a kind's log after a version, in order, at most <paramref name="max"/> events.</summary>
    public async Task<IReadOnlyList<ChangeEvent>> ReadAsync(string kind, long afterVersion, int max, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {kind} and RowKey gt {Pad(afterVersion)}");
        var result = new List<ChangeEvent>();
        await foreach (var e in log.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            result.Add(FromLogEntity(e));
            if (result.Count >= max)
            {
                break;
            }
        }

        return result;
    }

    /// <summary>Deletes a kind's log entries below a version.</summary>
    public async Task CompactAsync(string kind, long belowVersion, CancellationToken cancellationToken = default)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {kind} and RowKey lt {Pad(belowVersion)}");
        var keys = new List<TableEntity>();
        await foreach (var e in log.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
        {
            keys.Add(e);
        }

        foreach (var chunk in keys.Chunk(MaxBatch))
        {
            await log.SubmitTransactionAsync(
                chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Delete, e, ETag.All)),
                cancellationToken);
        }
    }

    /// <summary>Brings the index up to date with events (ascending), coalescing by object.</summary>
    public async Task ApplyToIndexAsync(string kind, IReadOnlyList<ChangeEvent> events, CancellationToken cancellationToken = default)
    {
        var latest = new Dictionary<(string Namespace, string Name), ChangeEvent>();
        foreach (var e in events)
        {
            latest[(e.Namespace, e.Name)] = e;
        }

        var byPartition = latest.Values.GroupBy(e => IndexPartition(kind, e.Namespace));
        var writes = new List<Task>();
        foreach (var partition in byPartition)
        {
            foreach (var chunk in partition.Chunk(MaxBatch))
            {
                var actions = chunk.Select(e => e.Type == WatchEventType.Deleted
                    ? new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition.Key, e.Name), ETag.All)
                    : new TableTransactionAction(TableTransactionActionType.UpsertReplace, ToIndexEntity(partition.Key, e)));
                writes.Add(SubmitIndexBatchAsync(partition.Key, chunk, actions.ToList(), cancellationToken));
            }
        }

        await Task.WhenAll(writes);
    }

    /// <summary>Reads every indexed object of a kind.</summary>
    public async Task<IReadOnlyList<IndexedObject>> LoadIndexAsync(string kind, CancellationToken cancellationToken = default)
    {
        await EnsureCreatedAsync(cancellationToken);
        var low = kind + "|";
        var high = kind + "}"; // '}' follows '|' in ordinal order: the range is exactly this kind's partitions.
        var filter = TableClient.CreateQueryFilter($"PartitionKey ge {low} and PartitionKey lt {high}");
        var result = new List<IndexedObject>();
        await foreach (var e in index.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            result.Add(new IndexedObject(
                e.PartitionKey[low.Length..],
                e.RowKey,
                e.GetInt64("Rv") ?? 0,
                ReadJson(e)));
        }

        return result;
    }

    private async Task SubmitIndexBatchAsync(string partition, ChangeEvent[] chunk, List<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        try
        {
            await index.SubmitTransactionAsync(actions, cancellationToken);
        }
        catch (TableTransactionFailedException)
        {
            // A delete of a row that was never indexed fails the whole batch: fall back to one row at a time.
            foreach (var e in chunk)
            {
                if (e.Type == WatchEventType.Deleted)
                {
                    await index.DeleteEntityAsync(partition, e.Name, ETag.All, cancellationToken);
                }
                else
                {
                    await index.UpsertEntityAsync(ToIndexEntity(partition, e), TableUpdateMode.Replace, cancellationToken);
                }
            }
        }
    }

    private static string IndexPartition(string kind, string ns) => kind + "|" + ns;

    private static string Pad(long version) => version.ToString("D19", CultureInfo.InvariantCulture);

    private TableEntity ToLogEntity(string kind, ChangeEvent e)
    {
        var entity = new TableEntity(kind, Pad(e.ResourceVersion))
        {
            ["Type"] = (int)e.Type,
            ["Ns"] = e.Namespace,
            ["Name"] = e.Name,
        };
        WriteJson(entity, protector.Protect(kind, e.Json)!);
        return entity;
    }

    private ChangeEvent FromLogEntity(TableEntity e) => new(
        long.Parse(e.RowKey, CultureInfo.InvariantCulture),
        (WatchEventType)(e.GetInt32("Type") ?? 0),
        e.GetString("Ns") ?? "",
        e.GetString("Name") ?? "",
        ReadJson(e));

    private TableEntity ToIndexEntity(string partition, ChangeEvent e)
    {
        var entity = new TableEntity(partition, e.Name) { ["Rv"] = e.ResourceVersion };
        WriteJson(entity, protector.Protect(partition[..partition.IndexOf('|', StringComparison.Ordinal)], e.Json)!);
        return entity;
    }

    private static void WriteJson(TableEntity entity, string json)
    {
        var chunks = (json.Length + ChunkChars - 1) / ChunkChars;
        entity["Chunks"] = chunks;
        for (var i = 0; i < chunks; i++)
        {
            entity["J" + i.ToString(CultureInfo.InvariantCulture)] = json.Substring(i * ChunkChars, Math.Min(ChunkChars, json.Length - (i * ChunkChars)));
        }
    }

    private string ReadJson(TableEntity entity) => protector.Unprotect(ReadStoredJson(entity))!;

    private static string ReadStoredJson(TableEntity entity)
    {
        var chunks = entity.GetInt32("Chunks") ?? 0;
        if (chunks == 1)
        {
            return entity.GetString("J0") ?? "";
        }

        var builder = new StringBuilder();
        for (var i = 0; i < chunks; i++)
        {
            builder.Append(entity.GetString("J" + i.ToString(CultureInfo.InvariantCulture)));
        }

        return builder.ToString();
    }
}
