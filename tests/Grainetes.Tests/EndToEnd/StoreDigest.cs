using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;

namespace Grainetes.Tests.EndToEnd;

/// <summary>A SHA-256 over every row (keys, ETag and all properties) of a cluster's tables: equal digests, untouched store.</summary>
internal static class StoreDigest
{
    private static readonly string[] Tables = ["GrainetesObjects", "GrainetesLog", "GrainetesIndex", "GrainetesMeta", "GrainetesReminders"];

    public static async Task<string> ComputeAsync(string connectionString)
    {
        var service = new TableServiceClient(connectionString);
        var text = new StringBuilder();
        foreach (var name in Tables)
        {
            text.Append("table ").Append(name).Append('\n');
            try
            {
                await foreach (var row in service.GetTableClient(name).QueryAsync<TableEntity>())
                {
                    text.Append(row.PartitionKey).Append('|').Append(row.RowKey).Append('|').Append(row.ETag.ToString());
                    foreach (var (key, value) in row.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        text.Append('|').Append(key).Append('=').Append(value is byte[] bytes ? Convert.ToBase64String(bytes) : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                    }

                    text.Append('\n');
                }
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                text.Append("missing\n");
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    public static async Task<int> CountAsync(string connectionString, string table)
    {
        var count = 0;
        await foreach (var _ in new TableServiceClient(connectionString).GetTableClient(table).QueryAsync<TableEntity>(select: ["PartitionKey"]))
        {
            count++;
        }

        return count;
    }
}
