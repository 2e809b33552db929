using Azure;
using Azure.Data.Tables;

namespace Grainetes.Host.Security;

/// <summary>
/// The cluster's sealed keys in the storage account beside the membership table: one entity per cluster id in
/// table <c>GrainetesCluster</c>. Written once (insert, never overwrite), so two first hosts racing agree on one set.
/// </summary>
public sealed class ClusterKeyStore(string connectionString, string clusterId)
{
    public const string TableName = "GrainetesCluster";
    private const string RowKey = "keys";

    private readonly TableClient table = new(connectionString, TableName);

    public async Task<SealedClusterKeys?> ReadAsync(CancellationToken cancellationToken)
    {
        await table.CreateIfNotExistsAsync(cancellationToken);
        var found = await table.GetEntityIfExistsAsync<TableEntity>(clusterId, RowKey, cancellationToken: cancellationToken);
        if (!found.HasValue || found.Value is not { } entity)
        {
            return null;
        }

        return new SealedClusterKeys(
            entity.GetBinary("Salt"),
            entity.GetBinary("Nonce"),
            entity.GetBinary("Tag"),
            entity.GetBinary("Ciphertext"));
    }

    /// <summary>Stores <paramref name="keys"/> unless the cluster already has keys; false when it had.</summary>
    public async Task<bool> TryAddAsync(SealedClusterKeys keys, CancellationToken cancellationToken)
    {
        await table.CreateIfNotExistsAsync(cancellationToken);
        try
        {
            await table.AddEntityAsync(
                new TableEntity(clusterId, RowKey)
                {
                    ["Salt"] = keys.Salt,
                    ["Nonce"] = keys.Nonce,
                    ["Tag"] = keys.Tag,
                    ["Ciphertext"] = keys.Ciphertext,
                },
                cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }
}
