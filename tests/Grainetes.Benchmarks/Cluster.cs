using Grainetes.Host.Azurite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Benchmarks;

/// <summary>
/// A fresh private cluster for one benchmark configuration: Azurite in a temporary directory and the Release host
/// against it. Disposing stops both (SIGINT) and deletes the directory.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    private Cluster(string root, AzuriteProcess azurite)
    {
        Root = root;
        Azurite = azurite;
    }

    public string Root { get; }

    public AzuriteProcess Azurite { get; }

    public HostProcess? Host { get; private set; }

    public HostProcess RunningHost => Host ?? throw new InvalidOperationException("the host did not start");

    public CpuUse Cpu() => new(ProcessMemory.CpuSeconds(RunningHost.ProcessId), ProcessMemory.CpuSeconds(Azurite.ProcessId));

    public static async Task<Cluster> StartAsync(params string[] hostArgs)
    {
        var hostDll = RepositoryLayout.HostDll;
        var root = Path.Combine(Path.GetTempPath(), "grainetes-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        AzuriteProcess? azurite = null;
        try
        {
            var installation = AzuriteInstallation.Locate(RepositoryLayout.Root);
            var settings = await installation.LoadSettingsAsync().ConfigureAwait(false);
            azurite = await AzuriteProcess.StartAsync(
                installation, settings with { TablePort = 0 }, Path.Combine(root, "azurite"), NullLogger.Instance).ConfigureAwait(false);
        }
        catch
        {
            TryDelete(root);
            throw;
        }

        var cluster = new Cluster(root, azurite);
        try
        {
            cluster.Host = await HostProcess.StartAsync(hostDll, Path.Combine(root, "home"), azurite.ConnectionString, hostArgs)
                .ConfigureAwait(false);
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        Log($"cluster up: Azurite pid {azurite.ProcessId}, host pid {cluster.Host.ProcessId} at {cluster.Host.ApiAddress} ({string.Join(' ', hostArgs)})");
        return cluster;
    }

    /// <summary>Runs after the host has stopped and before the directory goes: a last sweep for what the host left running.</summary>
    public Action<string>? AfterHostStopped { get; set; }

    public async ValueTask DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            AfterHostStopped?.Invoke(Root);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"cleanup after the host stopped failed: {e.Message}");
        }

        await Azurite.DisposeAsync().ConfigureAwait(false);
        TryDelete(Root);
    }

    private static void TryDelete(string root)
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"could not delete {root}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            Console.Error.WriteLine($"could not delete {root}: {e.Message}");
        }
    }

    public static void Log(string message) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
