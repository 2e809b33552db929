using Azure.Data.Tables;
using Grainetes.Host.Azurite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.Infrastructure;

/// <summary>
/// A private Azurite for a test collection: a free loopback port and a fresh data directory, both kept across
/// <see cref="RestartAsync"/> so that clients made before a restart keep working after it.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private readonly ILogger _logger = NullLogger.Instance;
    private AzuriteInstallation? _installation;
    private AzuriteSettings? _settings;
    private AzuriteProcess? _azurite;

    /// <summary>Where Azurite keeps its database file and its log (<see cref="AzuriteProcess.LogFileName"/>).</summary>
    public string DataDirectory { get; } =
        Path.Combine(Path.GetTempPath(), "grainetes-tests", $"azurite-{Guid.NewGuid():N}");

    public int Port => Running.Port;

    public string ConnectionString => Running.ConnectionString;

    private AzuriteProcess Running =>
        _azurite ?? throw new InvalidOperationException("Azurite is not running: the fixture is not initialized or a restart failed.");

    public async Task InitializeAsync()
    {
        _installation = AzuriteInstallation.Locate();
        var settings = await _installation.LoadSettingsAsync();
        _azurite = await AzuriteProcess.StartAsync(_installation, settings with { TablePort = 0 }, DataDirectory, _logger);

        // Later starts must come back on the same port: connection strings handed out stay valid.
        _settings = settings with { TablePort = _azurite.Port };
    }

    /// <summary>Stops Azurite gracefully (so it saves its database) and starts it again on the same port and data.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        var running = Running;
        _azurite = null;
        await running.DisposeAsync();
        _azurite = await AzuriteProcess.StartAsync(_installation!, _settings!, DataDirectory, _logger, cancellationToken);
    }

    public TableServiceClient CreateTableServiceClient() => new(ConnectionString);

    /// <summary>A table name no other test uses, since tests of a collection share one Azurite.</summary>
    public static string UniqueTableName(string prefix = "t") => $"{prefix}{Guid.NewGuid():N}";

    public async Task DisposeAsync()
    {
        if (_azurite is { } running)
        {
            _azurite = null;
            await running.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never started: nothing to remove.
        }
    }
}
