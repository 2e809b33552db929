using System.Globalization;
using System.Text.RegularExpressions;
using Grainetes.Host.Azurite;
using Grainetes.Tests.EndToEnd;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.MultiHost;

/// <summary>
/// Three real hosts on this machine, as users run them: the first with <c>grainetes up</c>, the others with the join
/// command it wrote, all on one Azurite, each on its own loopback ports, home and node (process runtime), with the
/// test timings (<c>--node-monitor-grace-period 10s --pod-eviction-timeout 5s</c>, Orleans membership probes shortened).
/// A host can be killed (SIGKILL) and started again with the same flags and home.
/// </summary>
public sealed partial class MultiHostClusterFixture : IAsyncLifetime
{
    public const int HostCount = 3;

    /// <summary>Orleans' failure detection, shortened for tests: a silo missing 3 probes 2 s apart is voted dead.</summary>
    public static readonly IReadOnlyDictionary<string, string> TestMembership = new Dictionary<string, string>
    {
        ["Orleans__Membership__ProbeTimeout"] = "00:00:02",
        ["Orleans__Membership__NumMissedProbesLimit"] = "3",
        ["Orleans__Membership__IAmAliveTablePublishTimeout"] = "00:00:05",
        ["Orleans__Membership__NumMissedTableIAmAliveLimit"] = "2",
        ["Orleans__Membership__TableRefreshTimeout"] = "00:00:05",
    };

    private readonly string root = Path.Combine(Path.GetTempPath(), "grainetes-multi-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ClusterProcess?[] hosts = new ClusterProcess?[HostCount];
    private readonly string[][] arguments = new string[HostCount][];
    private readonly int[] apiPorts = new int[HostCount];
    private AzuriteProcess? azurite;

    public string Root => root;

    public string Storage => azurite?.ConnectionString ?? throw new InvalidOperationException("Azurite is not running");

    /// <summary>The join command the first host wrote to <c>HOME/join-command</c>.</summary>
    public string JoinCommand { get; private set; } = "";

    public string ClusterSecret { get; private set; } = "";

    public static string NodeName(int host) => "host-" + host.ToString(CultureInfo.InvariantCulture);

    public string Home(int host) => Path.Combine(root, NodeName(host));

    internal ClusterProcess Host(int host) => hosts[host] ?? throw new InvalidOperationException($"host {host} is not running");

    internal Kubectl Kubectl(int host) => new(Path.Combine(Home(host), "kubeconfig"));

    public string Output(int host) => hosts[host]?.Output ?? "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(root);
        var installation = AzuriteInstallation.Locate(RepositoryPaths.Root);
        var settings = await installation.LoadSettingsAsync();
        azurite = await AzuriteProcess.StartAsync(installation, settings with { TablePort = 0 }, Path.Combine(root, "azurite"), NullLogger.Instance);
        for (var i = 0; i < HostCount; i++)
        {
            apiPorts[i] = FreePort.Next();
            string[] common =
            [
                "--silo-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
                "--gateway-port", FreePort.Next().ToString(CultureInfo.InvariantCulture),
                "--advertise-address", "127.0.0.1",
                "--node-name", NodeName(i),
                "--runtime", "process",
                "--node-monitor-grace-period", "10s",
                "--pod-eviction-timeout", "5s",
            ];
            if (i == 0)
            {
                arguments[i] = [.. common, "--storage", Storage];
                await StartAsync(i);
                JoinCommand = (await File.ReadAllTextAsync(Path.Combine(Home(0), "join-command"))).Trim();
                var parsed = JoinPattern().Match(JoinCommand);
                Assert.True(parsed.Success, "join command: " + JoinCommand);
                Assert.Equal(Storage, parsed.Groups["storage"].Value);
                ClusterSecret = parsed.Groups["secret"].Value;
            }
            else
            {
                arguments[i] = [.. common, "--storage", Storage, "--cluster-secret", ClusterSecret];
                await StartAsync(i);
            }
        }
    }

    /// <summary>Starts host <paramref name="host"/> (again) with its flags and home: <c>up</c> for the first, <c>join</c> for the others.</summary>
    public async Task StartAsync(int host)
    {
        hosts[host] = await ClusterProcess.StartMemberAsync(host == 0 ? "up" : "join", Home(host), apiPorts[host], arguments[host], TestMembership);
    }

    /// <summary>SIGKILLs host <paramref name="host"/>: its silo, API server and node agent die at once; its pods' processes stay.</summary>
    public async Task KillAsync(int host)
    {
        if (hosts[host] is { } process)
        {
            await process.KillAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (hosts[0] is not null)
        {
            // Pods' processes outlive their hosts by design (a restarted silo adopts them): remove them first, their
            // owners before them so that nothing makes them again.
            await Kubectl(0).RunAsync("delete deployments,replicasets --all --all-namespaces --timeout=60s", timeout: TimeSpan.FromSeconds(70));
            await Kubectl(0).RunAsync("delete pods --all --all-namespaces --timeout=60s", timeout: TimeSpan.FromSeconds(70));
        }

        foreach (var host in hosts.Reverse())
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
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
            // Best effort: a temp folder left behind harms nothing.
        }
    }

    [GeneratedRegex("""^\./grainetes join --storage "(?<storage>[^"]+)" --cluster-secret (?<secret>\S+)$""")]
    private static partial Regex JoinPattern();
}
