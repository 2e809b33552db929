using Azure.Data.Tables;
using Grainetes.Tests.Infrastructure;

namespace Grainetes.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class AzuriteFixtureTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task CreatedTableRoundTripsAnEntity()
    {
        var table = new TableClient(azurite.ConnectionString, AzuriteFixture.UniqueTableName());
        await table.CreateIfNotExistsAsync();

        await table.AddEntityAsync(new TableEntity("p", "r") { ["Payload"] = "hello", ["Count"] = 42L });
        var read = (await table.GetEntityAsync<TableEntity>("p", "r")).Value;

        Assert.Equal("hello", read.GetString("Payload"));
        Assert.Equal(42L, read.GetInt64("Count"));
    }

    [Fact]
    public async Task DataSurvivesAGracefulRestartOnTheSamePort()
    {
        var tableName = AzuriteFixture.UniqueTableName();
        var table = new TableClient(azurite.ConnectionString, tableName);
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new TableEntity("p", "r") { ["Payload"] = "kept" });
        var port = azurite.Port;

        await azurite.RestartAsync();

        Assert.Equal(port, azurite.Port);
        // The client made before the restart keeps working: same endpoint, same account.
        var read = (await table.GetEntityAsync<TableEntity>("p", "r")).Value;
        Assert.Equal("kept", read.GetString("Payload"));
        var tables = azurite.CreateTableServiceClient().QueryAsync(t => t.Name == tableName);
        Assert.Single(await tables.ToListAsync());
    }
}
