using System.Globalization;
using Grainetes.Host.Azurite;

namespace Grainetes.Host.Backup;

/// <summary>
/// The storage account a backup or restore works on: the one named, or the Azurite of a home directory. When that
/// home's Azurite is not running (no silo is), it is started on a free port for the command and stopped with SIGINT
/// afterwards, so it writes its database file.
/// </summary>
public sealed class StorageConnection : IAsyncDisposable
{
    private readonly AzuriteProcess? azurite;

    private StorageConnection(string connectionString, AzuriteProcess? azurite, bool clusterRunning)
    {
        ConnectionString = connectionString;
        this.azurite = azurite;
        ClusterRunning = clusterRunning;
    }

    public string ConnectionString { get; }

    /// <summary>True when the home's own Azurite was already running: a silo on that home is up.</summary>
    public bool ClusterRunning { get; }

    public bool StartedAzurite => azurite is not null;

    public static async Task<StorageConnection> OpenAsync(string? storage, string? home, ILogger logger, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(storage))
        {
            return new StorageConnection(storage, null, clusterRunning: false);
        }

        if (string.IsNullOrEmpty(home))
        {
            throw new ArgumentException("give --storage or --home");
        }

        var installation = AzuriteInstallation.Locate();
        var settings = await installation.LoadSettingsAsync(cancellationToken);
        var dataDirectory = Path.Combine(Path.GetFullPath(home), "azurite");
        if (RunningAzuritePort(dataDirectory) is { } port)
        {
            return new StorageConnection(settings.GetTableConnectionString(port), null, clusterRunning: true);
        }

        var process = await AzuriteProcess.StartAsync(installation, settings with { TablePort = 0 }, dataDirectory, logger, cancellationToken);
        return new StorageConnection(process.ConnectionString, process, clusterRunning: false);
    }

    public async ValueTask DisposeAsync()
    {
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }
    }

    /// <summary>The port of the Azurite a silo started on this data directory, read from its command line; null when none runs.</summary>
    private static int? RunningAzuritePort(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, AzuriteProcess.PidFileName);
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
        {
            return null;
        }

        try
        {
            // Only a live node process on this data directory counts, never a recycled pid.
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            var portAt = Array.IndexOf(arguments, "--tablePort") + 1;
            return arguments.Contains(dataDirectory) && portAt > 0 && portAt < arguments.Length
                && int.TryParse(arguments[portAt], NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) ? port : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
