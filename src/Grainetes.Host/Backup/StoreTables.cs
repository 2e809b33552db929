using Azure;
using Azure.Data.Tables;

namespace Grainetes.Host.Backup;

/// <summary>The tables one cluster keeps in a storage account (objects, log, index, bookkeeping, reminders), as a whole.</summary>
public sealed class StoreTables(string connectionString, string prefix)
{
    private static readonly string[] Suffixes = ["Objects", "Log", "Index", "Meta", "Reminders"];

    private readonly TableServiceClient service = new(connectionString);

    public IEnumerable<string> Names => Suffixes.Select(s => prefix + s);

    /// <summary>True when none of the cluster's tables holds a row (missing tables count as empty).</summary>
    public async Task<bool> IsEmptyAsync(CancellationToken cancellationToken)
    {
        foreach (var name in Names)
        {
            try
            {
                await foreach (var _ in service.GetTableClient(name).QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: cancellationToken))
                {
                    return false;
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // No table yet: nothing in it.
            }
        }

        return true;
    }

    /// <summary>Deletes every row (tables stay: a real account refuses to recreate a deleted table for a while).</summary>
    public async Task ClearAsync(CancellationToken cancellationToken)
    {
        foreach (var name in Names)
        {
            var table = service.GetTableClient(name);
            var keys = new List<TableEntity>();
            try
            {
                await foreach (var e in table.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken))
                {
                    keys.Add(e);
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                continue;
            }

            await Parallel.ForEachAsync(
                keys.GroupBy(k => k.PartitionKey).SelectMany(p => p.Chunk(100)),
                new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (chunk, ct) => await table.SubmitTransactionAsync(
                    chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, k, ETag.All)), ct));
        }
    }
}
