using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Tests.EndToEnd;
using Xunit.Abstractions;
using static Grainetes.Tests.MultiHost.MultiHostChecks;

namespace Grainetes.Tests.MultiHost;

/// <summary>
/// The whole cluster of three real hosts crashes at once (every host SIGKILLed, Azurite left running) and is started
/// again on the same homes: nothing the API acknowledged is lost, watches resume, nodes come back Ready, and the
/// Deployment's pods run once each, adopted rather than duplicated.
/// </summary>
public sealed class MultiHostRestartTests(MultiHostClusterFixture cluster, ITestOutputHelper output) : IClassFixture<MultiHostClusterFixture>
{
    private const string Ns = "restart";
    private const int Replicas = 6;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task EveryHostKilledAtOnceAndStartedAgainLosesNothingAndRunsEachPodOnce()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var admin = cluster.Kubectl(0);
        await Poll.UntilAsync(() => ReadyByNodeAsync(admin), r => r.Count == MultiHostClusterFixture.HostCount && r.Values.All(s => s == "True"), Deadline, "every node Ready");

        // Acknowledged before the crash: ConfigMaps, Secrets (encrypted at rest) and a Deployment spread over the nodes.
        (await admin.RunAsync($"create namespace {Ns}")).EnsureSuccess();
        var manifests = new StringBuilder();
        for (var i = 0; i < 12; i++)
        {
            manifests.Append(CultureInfo.InvariantCulture, $"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: kept-{i}, namespace: {Ns}}}\ndata: {{value: \"v{i}\"}}\n");
        }

        for (var i = 0; i < 4; i++)
        {
            manifests.Append(CultureInfo.InvariantCulture, $"---\napiVersion: v1\nkind: Secret\nmetadata: {{name: kept-{i}, namespace: {Ns}}}\ndata: {{value: {Base64(SecretValue(i))}}}\n");
        }

        manifests.Append(CultureInfo.InvariantCulture, $$$"""
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: steady, namespace: {{{Ns}}}}
            spec:
              replicas: {{{Replicas}}}
              selector: {matchLabels: {app: steady}}
              template:
                metadata: {labels: {app: steady}}
                spec:
                  terminationGracePeriodSeconds: 1
                  containers: [{name: main, image: grainetes/busybox:test, command: [sleep, "3602"]}]

            """);
        (await admin.RunAsync("apply -f -", stdin: manifests.ToString())).EnsureSuccess();
        var podsBefore = await WithDiagnosticsAsync(cluster, admin, Ns, () => Poll.UntilAsync(() => PodsAsync(admin, Ns, "steady"), p => p.Count == Replicas && p.All(x => x.Ready), Deadline, $"{Replicas} Ready pods"));
        Assert.True(podsBefore.Select(p => p.Node).Distinct().Count() > 1, "the pods all landed on one node: " + podsBefore);

        // A watch's starting point from before the crash, and one change after it that is also before the crash.
        // (The server's list, not kubectl's "-o json", which prints a List of its own making without a version.)
        var listRv = (string)JsonNode.Parse((await admin.RunAsync($"get --raw /api/v1/namespaces/{Ns}/configmaps")).EnsureSuccess().Stdout)!["metadata"]!["resourceVersion"]!;
        Assert.NotEqual("", listRv);
        (await admin.RunAsync($"patch configmap kept-0 -n {Ns} --type=merge -p {{\"data\":{{\"value\":\"before-crash\"}}}}")).EnsureSuccess();
        var configMapsBefore = await ObjectsAsync(admin, "configmaps", Ns, "kept-");
        var secretsBefore = await ObjectsAsync(admin, "secrets", Ns, "kept-");
        Assert.Equal(12, configMapsBefore.Count);
        Assert.Equal(4, secretsBefore.Count);
        output.WriteLine($"{clock.ElapsedMilliseconds} ms: {podsBefore}");

        // The crash: every host at once; the pods' processes outlive them by design.
        await Task.WhenAll(Enumerable.Range(0, MultiHostClusterFixture.HostCount).Select(cluster.KillAsync));
        var restart = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, MultiHostClusterFixture.HostCount).Select(cluster.StartAsync));
        output.WriteLine($"all hosts started again {restart.ElapsedMilliseconds} ms after the kill");

        // Every node Ready again, and every acknowledged object as it was: uid, version and data (Secrets decrypt).
        await WithDiagnosticsAsync(cluster, admin, Ns, () => Poll.UntilAsync(() => TryAsync(() => ReadyByNodeAsync(admin)), r => r is { Count: MultiHostClusterFixture.HostCount } && r.Values.All(s => s == "True"), Deadline, "every node Ready again"));
        output.WriteLine($"nodes Ready {restart.ElapsedMilliseconds} ms after the kill");
        for (var host = 0; host < MultiHostClusterFixture.HostCount; host++)
        {
            Assert.Equal(configMapsBefore, await ObjectsAsync(cluster.Kubectl(host), "configmaps", Ns, "kept-"));
            Assert.Equal(secretsBefore, await ObjectsAsync(cluster.Kubectl(host), "secrets", Ns, "kept-"));
        }

        for (var i = 0; i < 4; i++)
        {
            var value = (await admin.RunAsync($"get secret kept-{i} -n {Ns} -o jsonpath={{.data.value}}")).EnsureSuccess().Stdout.Trim();
            Assert.Equal(SecretValue(i), Encoding.UTF8.GetString(Convert.FromBase64String(value)));
        }

        // The cluster accepts writes, and a watch from the version listed before the crash gets every change after
        // it, in order, the one made before the crash and the one made after (or 410 Gone, had it been compacted).
        (await admin.RunAsync($"patch configmap kept-1 -n {Ns} --type=merge -p {{\"data\":{{\"value\":\"after-restart\"}}}}")).EnsureSuccess();
        (await admin.RunAsync($"create configmap written-after -n {Ns} --from-literal=value=new")).EnsureSuccess();
        var watched = (await admin.RunAsync($"get --raw /api/v1/namespaces/{Ns}/configmaps?watch=true&resourceVersion={listRv}&timeoutSeconds=5", timeout: TimeSpan.FromSeconds(60))).EnsureSuccess().Stdout;
        var events = watched.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).Where(e => (string?)e["type"] != "BOOKMARK").ToList();
        Assert.NotEmpty(events);
        if ((string?)events[0]["type"] == "ERROR")
        {
            Assert.Equal(410, (int?)events[0]["object"]!["code"]);
        }
        else
        {
            Assert.Equal(
                ["MODIFIED kept-0 before-crash", "MODIFIED kept-1 after-restart", "ADDED written-after new"],
                events.Select(e => $"{e["type"]} {e["object"]!["metadata"]!["name"]} {e["object"]!["data"]?["value"]}").ToArray());
            var versions = events.Select(e => long.Parse((string)e["object"]!["metadata"]!["resourceVersion"]!, CultureInfo.InvariantCulture)).ToList();
            Assert.True(versions[0] > long.Parse(listRv, CultureInfo.InvariantCulture) && versions.Zip(versions.Skip(1)).All(p => p.First < p.Second), "versions: " + string.Join(", ", versions));
        }

        // Exactly the Deployment's pods, each Ready and running once: one live process per pod, on its own node, and
        // no process or container directory of a pod that does not exist.
        var podsAfter = await WithDiagnosticsAsync(cluster, admin, Ns, () => Poll.UntilAsync(
            () => TryAsync(() => PodsAsync(admin, Ns, "steady")),
            p => p is { Count: Replicas } && p.All(x => x.Ready),
            Deadline,
            $"{Replicas} Ready pods after the restart"));
        output.WriteLine($"{Replicas} pods Ready {restart.ElapsedMilliseconds} ms after the kill: {podsAfter}; the same pods as before: {podsAfter!.Select(p => p.Uid).Order().SequenceEqual(podsBefore.Select(p => p.Uid).Order())}");
        var pods = podsAfter!.ToDictionary(p => p.Uid, p => p.Node, StringComparer.Ordinal);
        await Poll.UntilAsync(
            () => Task.FromResult(ContainerProblems(pods)),
            problems => problems.Count == 0,
            Deadline,
            "one live process per pod on its node and nothing left of other pods");
        var rs = JsonNode.Parse((await admin.RunAsync($"get replicasets -n {Ns} -o json")).EnsureSuccess().Stdout)!["items"]!.AsArray();
        Assert.Single(rs);
        Assert.Equal(Replicas, (int?)rs[0]!["status"]!["readyReplicas"]);
        output.WriteLine($"test time {clock.ElapsedMilliseconds} ms");
    }

    /// <summary>What is wrong with the hosts' process-runtime containers against <paramref name="pods"/> (uid to node).</summary>
    private List<string> ContainerProblems(Dictionary<string, string?> pods)
    {
        var problems = new List<string>();
        var live = new List<(string Node, string? Pod)>();
        for (var host = 0; host < MultiHostClusterFixture.HostCount; host++)
        {
            var node = MultiHostClusterFixture.NodeName(host);
            foreach (var (directory, pid) in ProcessContainers(cluster.Home(host)))
            {
                var pod = PodUidOf(directory);
                if (pod is null || !pods.ContainsKey(pod))
                {
                    problems.Add($"{node}: {Path.GetFileName(directory)} of pod {pod ?? "?"}, which does not exist (pid {pid}, alive {IsAlive(pid)})");
                }
                else if (IsAlive(pid))
                {
                    live.Add((node, pod));
                }
            }
        }

        problems.AddRange(live.Where(l => pods[l.Pod!] != l.Node).Select(l => $"{l.Node}: a live process of pod {l.Pod} bound to {pods[l.Pod!]}"));
        problems.AddRange(pods.Keys.Select(p => (Pod: p, Live: live.Count(l => l.Pod == p))).Where(p => p.Live != 1).Select(p => $"pod {p.Pod} has {p.Live} live processes"));
        return problems;
    }

    private static string SecretValue(int i) => $"secret-{i}-" + new string('x', i);

    private static string Base64(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));
}
