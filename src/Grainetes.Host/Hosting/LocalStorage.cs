using Grainetes.Host.Azurite;
using Grainetes.Host.Cli;

namespace Grainetes.Host.Hosting;

/// <summary>The storage account a silo uses: the one given, or a private Azurite under the home directory.</summary>
public sealed class LocalStorage : IAsyncDisposable
{
    private readonly AzuriteProcess? azurite;

    private LocalStorage(string connectionString, AzuriteProcess? azurite)
    {
        ConnectionString = connectionString;
        this.azurite = azurite;
    }

    public string ConnectionString { get; }

    public static async Task<LocalStorage> StartAsync(UpSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(settings.Storage))
        {
            return new LocalStorage(settings.Storage, null);
        }

        var installation = AzuriteInstallation.Locate();
        var azuriteSettings = await installation.LoadSettingsAsync(cancellationToken);
        // Other hosts reach this Azurite at the address the join command names, so it listens there.
        var process = await AzuriteProcess.StartAsync(installation, azuriteSettings with { Host = settings.AzuriteHost }, Path.Combine(settings.Home, "azurite"), logger, cancellationToken);
        return new LocalStorage(process.ConnectionString, process);
    }

    public async ValueTask DisposeAsync()
    {
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }
    }
}
