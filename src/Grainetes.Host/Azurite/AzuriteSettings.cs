using System.Text.Json;

namespace Grainetes.Host.Azurite;

/// <summary>
/// How Azurite's table service is run and reached: the contents of <c>azurite.json</c> at the repository root.
/// The defaults equal that file, so a missing file still yields a working local setup.
/// </summary>
public sealed record AzuriteSettings
{
    /// <summary>The name of the settings file at the repository root.</summary>
    public const string FileName = "azurite.json";

    // Azurite's well-known development account; it is public and only ever valid against an emulator.
    private const string DevelopmentAccountName = "devstoreaccount1";
    private const string DevelopmentAccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>The npm version of Azurite the repository pins; a mismatch with the installed one is logged.</summary>
    public string Version { get; init; } = "3.37.0";

    /// <summary>Loopback address the table service listens on.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port of the table service; 0 picks a free loopback port at start.</summary>
    public int TablePort { get; init; } = 10002;

    public string AccountName { get; init; } = DevelopmentAccountName;

    public string AccountKey { get; init; } = DevelopmentAccountKey;

    /// <summary>Azurite's <c>--loose</c>: ignore headers and parameters it does not implement instead of failing.</summary>
    public bool Loose { get; init; } = true;

    /// <summary>Azurite's <c>--skipApiVersionCheck</c>: newer SDKs send API versions Azurite does not list yet.</summary>
    public bool SkipApiVersionCheck { get; init; } = true;

    /// <summary>Azurite's <c>--inMemoryPersistence</c>: nothing survives a restart.</summary>
    public bool InMemoryPersistence { get; init; }

    /// <summary>Whether Azurite prints one line per request; off by default because Azurite's single thread pays for it.</summary>
    public bool AccessLog { get; init; }

    /// <summary>Whether Azurite writes its (very verbose) debug log to <c>azurite-debug.log</c> in the data directory.</summary>
    public bool DebugLog { get; init; }

    /// <summary>Whether the account is Azurite's built-in one; any other account must be announced through AZURITE_ACCOUNTS.</summary>
    public bool UsesDevelopmentAccount =>
        AccountName == DevelopmentAccountName && AccountKey == DevelopmentAccountKey;

    /// <summary>Reads a settings file; properties the file leaves out keep their defaults.</summary>
    public static async Task<AzuriteSettings> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = File.OpenRead(path);
        var settings = await JsonSerializer.DeserializeAsync<AzuriteSettings>(stream, JsonOptions, cancellationToken)
            .ConfigureAwait(false);
        return settings ?? throw new InvalidDataException($"{path} holds no Azurite settings.");
    }

    /// <summary>The table endpoint for a given port (the actual one when <see cref="TablePort"/> is 0).</summary>
    public Uri GetTableEndpoint(int port) => new($"http://{Host}:{port}/{AccountName}");

    /// <summary>The Azure.Data.Tables connection string for a given port.</summary>
    public string GetTableConnectionString(int port) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};TableEndpoint={GetTableEndpoint(port)};";
}
