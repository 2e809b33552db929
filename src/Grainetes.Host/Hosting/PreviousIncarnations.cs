using Azure;
using Azure.Data.Tables;

namespace Grainetes.Host.Hosting;

/// <summary>
/// Marks earlier runs of this node's silo dead in Orleans' membership table before the silo starts. A silo that
/// crashed (or was killed during a slow shutdown) stays Active there until its peers vote it out, and a silo that is
/// joining first checks it can reach every Active member: restarted on other ports it would wait for a ghost of
/// itself (Orleans only retires an older entry on the same address and port). One silo per node, and silos are named
/// after their nodes, so an entry with this node's name is always an earlier run of this one.
/// </summary>
public static partial class PreviousIncarnations
{
    /// <summary>Orleans' Azure Table membership table (<c>AzureStorageClusteringOptions.DEFAULT_TABLE_NAME</c>).</summary>
    public const string MembershipTable = "OrleansSiloInstances";

    public static async Task RetireAsync(string connectionString, string clusterId, string siloName, ILogger logger, CancellationToken cancellationToken)
    {
        var table = new TableClient(connectionString, MembershipTable);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {clusterId} and SiloName eq {siloName}");
        try
        {
            await foreach (var entry in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            {
                if (entry.GetString("Status") is not { } status || status == "Dead")
                {
                    continue;
                }

                try
                {
                    // Only the status changes, checked against the row's ETag: a peer that voted meanwhile wins.
                    await table.UpdateEntityAsync(new TableEntity(entry.PartitionKey, entry.RowKey) { ["Status"] = "Dead" }, entry.ETag, TableUpdateMode.Merge, cancellationToken);
                    LogRetired(logger, entry.RowKey, status);
                }
                catch (RequestFailedException ex) when (ex.Status is 404 or 412)
                {
                    // Changed or removed by the cluster meanwhile.
                }
            }
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No membership table yet: the first start of the cluster.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Marked an earlier run of this silo ({Silo}, {Status}) dead in the membership table")]
    private static partial void LogRetired(ILogger logger, string silo, string status);
}
