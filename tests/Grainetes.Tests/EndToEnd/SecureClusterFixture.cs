using Grainetes.Host.Azurite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.EndToEnd;

/// <summary>A single-host cluster served as users run it: HTTPS with its own CA, authentication and RBAC, and a static token file.</summary>
public sealed class SecureClusterFixture : IAsyncLifetime
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "grainetes-secure-" + Guid.NewGuid().ToString("N")[..8]);
    private AzuriteProcess? azurite;
    private ClusterProcess? host;

    /// <summary>The bearer token of user <c>alice</c> (group <c>devs</c>) in the static token file.</summary>
    public string AliceToken { get; } = Guid.NewGuid().ToString("N");

    internal ClusterProcess Host => host ?? throw new InvalidOperationException("the cluster is not running");

    internal Kubectl Admin => new(Host.Kubeconfig);

    public string Root => root;

    public string StorageConnectionString => azurite?.ConnectionString ?? throw new InvalidOperationException("Azurite is not running");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(root);
        var tokens = Path.Combine(root, "tokens.csv");
        await File.WriteAllTextAsync(tokens, $"{AliceToken},alice,alice-uid,\"devs,testers\"\n");
        var installation = AzuriteInstallation.Locate(RepositoryPaths.Root);
        var settings = await installation.LoadSettingsAsync();
        azurite = await AzuriteProcess.StartAsync(installation, settings with { TablePort = 0 }, Path.Combine(root, "azurite"), NullLogger.Instance);
        host = await ClusterProcess.StartSecureAsync(Path.Combine(root, "home"), FreePort.Next(), azurite.ConnectionString, "--runtime", "process", "--token-auth-file", tokens);
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }

        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }

        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
