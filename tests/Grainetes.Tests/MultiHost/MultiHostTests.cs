using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Grainetes.Host.Cli;
using Grainetes.Host.Hosting;
using Grainetes.Host.Security;
using Grainetes.Tests.EndToEnd;
using static Grainetes.Tests.MultiHost.MultiHostChecks;

namespace Grainetes.Tests.MultiHost;

/// <summary>
/// Several hosts, end to end with real processes: joining needs the cluster's secret (a wrong one fails fast, a silo
/// with a CA of its own is refused), and a SIGKILLed host is failed over (API, objects, node, pods) and comes back clean.
/// </summary>
public sealed class MultiHostTests(MultiHostClusterFixture cluster) : IClassFixture<MultiHostClusterFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task JoinWithAWrongSecretFailsFastWithAClearError()
    {
        var wrong = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var home = Path.Combine(cluster.Root, "wrong-secret");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
        {
            RepositoryPaths.HostDll, "join", "--storage", cluster.Storage, "--cluster-secret", wrong, "--home", home, "--node-name", "intruder",
            "--runtime", "process", "--api-port", Port(), "--silo-port", Port(), "--gateway-port", Port(), "--otel-console", "false",
        })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Deadline);

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("wrong secret", await stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", await stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, "pki", "ca.key")), "a refused host must not have the cluster CA's key");
        var node = await cluster.Kubectl(0).RunAsync("get node intruder");
        Assert.Contains("NotFound", node.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASiloWithACaOfItsOwnIsRefusedAndTheClusterKeepsWorking()
    {
        // The one way past the secret: a home with a CA of its own, used to run a silo against the cluster's storage.
        var home = Path.Combine(cluster.Root, "impostor");
        var pki = ClusterPki.LoadOrCreate(home, ["localhost"], [IPAddress.Loopback], TimeProvider.System);
        var settings = new UpSettings
        {
            Home = home,
            ApiPort = FreePort.Next(),
            SiloPort = FreePort.Next(),
            GatewayPort = FreePort.Next(),
            OtelConsole = false,
            Runtime = "process",
            NodeName = "impostor",
            InsecureHttp = true,
        };
        await using var impostor = ClusterHost.Build(settings, cluster.Storage, pki);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var start = impostor.StartAsync(giveUp.Token);

        // The members refuse its connections (its certificate does not chain to the cluster CA)...
        await Poll.UntilAsync(
            () => Task.FromResult(Enumerable.Range(0, MultiHostClusterFixture.HostCount).Count(i => cluster.Output(i).Contains("Refused a silo connection", StringComparison.Ordinal))),
            refused => refused > 0,
            Deadline,
            "a member refusing the impostor's connection");

        // ...so it never becomes an active member, while the cluster goes on serving and writing.
        var members = new TableClient(cluster.Storage, "OrleansSiloInstances");
        var statuses = new List<string>();
        await foreach (var entry in members.QueryAsync<TableEntity>(e => e.GetString("SiloName") == "impostor"))
        {
            statuses.Add(entry.GetString("Status"));
        }

        Assert.DoesNotContain("Active", statuses);
        Assert.False(start.IsCompletedSuccessfully, "the impostor's silo must not start");
        var name = "still-works-" + Guid.NewGuid().ToString("N")[..6];
        (await cluster.Kubectl(0).RunAsync($"create configmap {name} --from-literal=a=b")).EnsureSuccess();
        var nodes = (await cluster.Kubectl(0).RunAsync("get nodes -o name")).EnsureSuccess().Stdout;
        Assert.DoesNotContain("impostor", nodes, StringComparison.Ordinal);

        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => start);
    }

    [Fact]
    public async Task AKilledHostIsFailedOverAndComesBackClean()
    {
        var admin = cluster.Kubectl(0);
        await Poll.UntilAsync(() => ReadyByNodeAsync(admin), r => r.Count == MultiHostClusterFixture.HostCount && r.Values.All(s => s == "True"), Deadline, "every node Ready");

        // Objects acknowledged before the kill: their grains land on all three silos.
        (await admin.RunAsync("create namespace failover")).EnsureSuccess();
        var manifests = new StringBuilder();
        for (var i = 0; i < 24; i++)
        {
            manifests.Append(CultureInfo.InvariantCulture, $"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: kept-{i}, namespace: failover}}\ndata: {{value: \"v{i}\"}}\n");
        }

        manifests.Append("""
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: spread, namespace: failover}
            spec:
              replicas: 6
              selector: {matchLabels: {app: spread}}
              template:
                metadata: {labels: {app: spread}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers: [{name: main, image: grainetes/busybox:test, command: [sleep, "3601"]}]

            """);
        (await admin.RunAsync("apply -f -", stdin: manifests.ToString())).EnsureSuccess();
        var before = await Poll.UntilAsync(() => PodsAsync(admin), p => p.Count(x => x.Ready) == 6, Deadline, "6 Ready pods");

        // The victim is the joined host with the most pods (the scheduler spreads, but need not spread evenly); the
        // survivor whose kubeconfig the checks use is the other joined host.
        var victim = Enumerable.Range(1, MultiHostClusterFixture.HostCount - 1).MaxBy(h => before.Count(p => p.Node == MultiHostClusterFixture.NodeName(h)));
        var victimNode = MultiHostClusterFixture.NodeName(victim);
        Assert.Contains(before, p => p.Node == victimNode);
        var survivor = cluster.Kubectl(Enumerable.Range(1, MultiHostClusterFixture.HostCount - 1).First(h => h != victim));
        var configMapsBefore = await ConfigMapsAsync(admin);
        Assert.Equal(24, configMapsBefore.Count);
        var leftovers = ProcessContainers(cluster.Home(victim));
        Assert.NotEmpty(leftovers);

        await cluster.KillAsync(victim);

        // The API answers again on the other hosts, and every object acknowledged before the kill reads back exactly.
        var configMapsAfter = await Poll.UntilAsync(() => TryAsync(() => ConfigMapsAsync(survivor)), c => c is { Count: 24 }, Deadline, "configmaps through a surviving host");
        Assert.Equal(configMapsBefore, configMapsAfter);
        var replicas = (await survivor.RunAsync("get deployment spread -n failover -o jsonpath={.spec.replicas}")).EnsureSuccess().Stdout;
        Assert.Equal("6", replicas);

        // The dead node turns Ready=Unknown, its pods are evicted and replaced on the living hosts.
        await Poll.UntilAsync(() => TryAsync(() => ReadyByNodeAsync(survivor)), r => r?.GetValueOrDefault(victimNode) == "Unknown", Deadline, "the dead node Ready=Unknown");
        var after = await WithDiagnosticsAsync(cluster, survivor, "failover", () => Poll.UntilAsync(() => TryAsync(() => PodsAsync(survivor)), p => p is not null && p.Count == 6 && p.All(x => x.Ready && x.Node != victimNode), TimeSpan.FromSeconds(180), "6 Ready pods on the living hosts"));
        Assert.DoesNotContain(after!, p => before.Any(b => b.Name == p.Name && b.Node == victimNode));

        // Back with the same home: the node is Ready again and the processes of pods that are gone are removed.
        await cluster.StartAsync(victim);
        await Poll.UntilAsync(() => TryAsync(() => ReadyByNodeAsync(survivor)), r => r?.GetValueOrDefault(victimNode) == "True", Deadline, "the returned node Ready");
        await Poll.UntilAsync(
            () => Task.FromResult(leftovers.Where(c => Directory.Exists(c.Directory) || IsAlive(c.Pid)).Select(c => c.Directory).ToList()),
            left => left.Count == 0,
            Deadline,
            "the returned host's leftover pod processes removed");
        Assert.Equal(configMapsBefore, await ConfigMapsAsync(cluster.Kubectl(victim)));
    }

    private static string Port() => FreePort.Next().ToString(CultureInfo.InvariantCulture);

    private static Task<PodRows> PodsAsync(Kubectl kubectl) => MultiHostChecks.PodsAsync(kubectl, "failover", "spread");

    private static Task<SortedDictionary<string, string>> ConfigMapsAsync(Kubectl kubectl) => ObjectsAsync(kubectl, "configmaps", "failover", "kept-");
}
