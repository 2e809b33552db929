using Grainetes.Host.Azurite;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.EndToEnd;

/// <summary>
/// A whole single-host cluster as a user runs it: a private Azurite and the real host process, driven by
/// real kubectl and the real KubernetesClient. Can be restarted (host and Azurite) on the same data.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "grainetes-e2e-" + Guid.NewGuid().ToString("N")[..8]);
    private AzuriteProcess? azurite;
    private ClusterProcess? host;
    private int azuritePort;
    private int apiPort;

    /// <summary>The image pods use in tests: built locally by test.sh for Docker; recorded only by the process runtime.</summary>
    public string TestImage => "grainetes/busybox:test";

    /// <summary>The container runtime this cluster's node runs (<c>--runtime</c>).</summary>
    public string Runtime { get; init; } = "process";

    internal Kubectl Kubectl => new(Host.Kubeconfig);

    internal ClusterProcess Host => host ?? throw new InvalidOperationException("the cluster is not running");

    public Uri ApiAddress => Host.ApiAddress;

    public string HostOutput => Host.Output;

    /// <summary>The running Azurite's connection string (backup and restore tests read and write the store directly).</summary>
    public string StorageConnectionString => azurite?.ConnectionString ?? throw new InvalidOperationException("storage is not running");

    /// <summary>The host's home directory (its pki, with the key that seals Secrets).</summary>
    public string HomeDirectory => Path.Combine(root, "home");

    public IKubernetes CreateClient() =>
        new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Host.Kubeconfig));

    public HttpClient CreateHttpClient() => new() { BaseAddress = Host.ApiAddress, Timeout = TimeSpan.FromSeconds(60) };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(root);
        apiPort = FreePort.Next();
        await StartAsync();
    }

    /// <summary>Stops Azurite (gracefully) under the running host, as a storage outage.</summary>
    public async Task StopStorageAsync()
    {
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
            azurite = null;
        }
    }

    /// <summary>Freezes (SIGSTOP) or thaws (SIGCONT) Azurite: connections stay open and answer nothing meanwhile.</summary>
    public void FreezeStorage(bool frozen)
    {
        var pid = azurite?.ProcessId ?? throw new InvalidOperationException("Azurite is not running");
        if (Signal(pid, frozen ? 19 : 18) != 0)
        {
            throw new InvalidOperationException($"could not signal Azurite ({pid})");
        }
    }

    /// <summary>Starts Azurite again on the same port and data after <see cref="StopStorageAsync"/>.</summary>
    public async Task StartStorageAsync()
    {
        var installation = AzuriteInstallation.Locate(RepositoryPaths.Root);
        var settings = await installation.LoadSettingsAsync();
        azurite = await AzuriteProcess.StartAsync(installation, settings with { TablePort = azuritePort }, Path.Combine(root, "azurite"), NullLogger.Instance);
    }

    /// <summary>
    /// Signals the host (2 SIGINT, 15 SIGTERM) and waits up to <paramref name="deadline"/>: its exit code, or null when it
    /// had to be killed. Its output stays readable in <see cref="LastHostOutput"/>; Azurite is left as it is.
    /// </summary>
    public async Task<int?> SignalHostAsync(int signal, TimeSpan deadline)
    {
        var stopping = Host;
        host = null;
        var code = await stopping.SignalAndWaitAsync(signal, deadline);
        LastHostOutput = stopping.Output;
        await stopping.DisposeAsync();
        return code;
    }

    /// <summary>The output of the host that <see cref="SignalHostAsync"/> stopped last.</summary>
    public string LastHostOutput { get; private set; } = "";

    /// <summary>Starts whatever is not running (Azurite on its port and data, then the host on its home) after a stop.</summary>
    public async Task StartAgainAsync()
    {
        if (azurite is null)
        {
            await StartStorageAsync();
        }

        host ??= await ClusterProcess.StartAsync(Path.Combine(root, "home"), apiPort, azurite!.ConnectionString, "--runtime", Runtime);
    }

    /// <summary>Stops the host and Azurite gracefully, then starts both again on the same data.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            // Pods' containers outlive the host by design (a restarted silo adopts them): remove them first.
            await Kubectl.RunAsync("delete pods --all --all-namespaces --timeout=60s", timeout: TimeSpan.FromSeconds(70));
        }

        await StopAsync();
        if (Runtime == "docker")
        {
            // Pods of workload controllers come back after that delete; whatever this host left is removed by its label.
            await RemoveContainersAsync(Grainetes.NodeAgent.Runtime.Docker.DockerOwner.For(Grainetes.Host.Hosting.NodeIdentity.Detect(null).Name, HomeDirectory));
        }

        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind harms nothing.
        }
    }

    private static async Task RemoveContainersAsync(string owner)
    {
        using var docker = new Docker.DotNet.DockerClientConfiguration().CreateClient();
        var label = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [$"io.grainetes.owner={owner}"] = true } };
        foreach (var container in await docker.Containers.ListContainersAsync(new Docker.DotNet.Models.ContainersListParameters { All = true, Filters = label }))
        {
            await docker.Containers.RemoveContainerAsync(container.ID, new Docker.DotNet.Models.ContainerRemoveParameters { Force = true, RemoveVolumes = true });
        }
    }

    private async Task StartAsync()
    {
        var installation = AzuriteInstallation.Locate(RepositoryPaths.Root);
        var settings = await installation.LoadSettingsAsync();
        azurite = await AzuriteProcess.StartAsync(installation, settings with { TablePort = azuritePort }, Path.Combine(root, "azurite"), NullLogger.Instance);
        azuritePort = azurite.Port;
        host = await ClusterProcess.StartAsync(Path.Combine(root, "home"), apiPort, azurite.ConnectionString, "--runtime", Runtime);
    }

    private async Task StopAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
            host = null;
        }

        if (azurite is not null)
        {
            await azurite.DisposeAsync();
            azurite = null;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Signal(int pid, int signal);
}
