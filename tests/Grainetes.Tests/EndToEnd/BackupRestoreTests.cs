using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Host.Azurite;
using Grainetes.Host.Backup;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grainetes.Tests.EndToEnd;

/// <summary>
/// <c>grainetes backup</c> and <c>restore</c> as a user runs them, against the shared cluster's store and fresh Azurites:
/// a restored cluster serves every object as it was and brings its pods back; a backup taken under writes is one
/// consistent version per kind; damaged files and non-empty stores are refused without a single write.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BackupRestoreTests(ClusterFixture cluster) : IAsyncLifetime
{
    private static readonly string[] ComparedKinds = ["configmaps", "secrets", "services", "deployments"];

    private readonly string scratch = Path.Combine(Path.GetTempPath(), "grainetes-backup-" + Guid.NewGuid().ToString("N")[..8]);

    private string KeyFile => Path.Combine(cluster.HomeDirectory, "pki", "secrets.key");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(scratch);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(scratch, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind harms nothing.
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task ARestoredClusterServesEveryObjectAsItWasAndBringsItsPodsBack()
    {
        var kubectl = cluster.Kubectl;
        var id = Guid.NewGuid().ToString("N")[..10];
        var ns = "br-" + id;
        var password = "hunter2-" + id;
        (await kubectl.RunAsync($"create namespace {ns}")).EnsureSuccess();
        (await kubectl.RunAsync($"apply -n {ns} -f -", Manifests(cluster.TestImage, password))).EnsureSuccess();
        (await kubectl.RunAsync($"rollout status deployment/web -n {ns} --timeout=120s", timeout: TimeSpan.FromSeconds(130))).EnsureSuccess();
        var before = await ReadObjectsAsync(kubectl, ns);
        var podsBefore = await PodNamesAsync(kubectl, ns);
        Assert.Equal(2, podsBefore.Count);

        var file = Path.Combine(scratch, "cluster.bak");
        var backup = await GrainetesCli.RunAsync("backup", "--storage", cluster.StorageConnectionString, "--secrets-key-file", KeyFile, "--out", file);
        Assert.True(backup.ExitCode == 0, backup.Stdout + backup.Stderr);
        Assert.Contains("backup written", backup.Stdout);

        // Secrets stay sealed in the file, as they are at rest.
        var contents = await BackupFileReader.ReadAsync(file, CancellationToken.None);
        var sealedSecret = Assert.Single(contents.Entries, e => e.Kind == "secrets" && e.Namespace == ns && e.Name == "creds");
        Assert.StartsWith("k8s:enc:aesgcm:v1:", sealedSecret.Object);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(password)), sealedSecret.Object);
        Assert.All(contents.Entries, e => Assert.True(e.ResourceVersion <= contents.Header.Kinds.Single(k => k.Kind == e.Kind).ResourceVersion));

        // Into a new home: the command starts that home's Azurite, restores, and stops it again.
        var home = Path.Combine(scratch, "restored");
        var restore = await GrainetesCli.RunAsync("restore", "--in", file, "--home", home, "--secrets-key-file", KeyFile);
        Assert.True(restore.ExitCode == 0, restore.Stdout + restore.Stderr);
        Assert.False(File.Exists(Path.Combine(home, "azurite", AzuriteProcess.PidFileName)), "the restore left its Azurite running");

        var installation = AzuriteInstallation.Locate(RepositoryPaths.Root);
        await using var azurite = await AzuriteProcess.StartAsync(installation, await installation.LoadSettingsAsync() with { TablePort = 0 }, Path.Combine(home, "azurite"), NullLogger.Instance);
        var host = await ClusterProcess.StartAsync(home, FreePort.Next(), azurite.ConnectionString, "--runtime", cluster.Runtime);
        var restored = new Kubectl(host.Kubeconfig);
        try
        {
            var after = await ReadObjectsAsync(restored, ns);
            Assert.Equal(before.Keys.Order(), after.Keys.Order());
            foreach (var (key, was) in before)
            {
                var now = after[key];
                if (key.StartsWith("deployments/", StringComparison.Ordinal))
                {
                    // Its controller writes status after the restart; what the user wrote is unchanged.
                    Assert.Equal(was["metadata"]!["uid"]!.ToJsonString(), now["metadata"]!["uid"]!.ToJsonString());
                    Assert.True(JsonNode.DeepEquals(was["spec"], now["spec"]), key);
                    Assert.True(JsonNode.DeepEquals(was["metadata"]!["labels"], now["metadata"]!["labels"]), key);
                }
                else
                {
                    Assert.True(JsonNode.DeepEquals(was, now), $"{key} differs:\nbefore {was.ToJsonString()}\nafter  {now.ToJsonString()}");
                }
            }

            // The second real client reads the Secret opened with the new home's key.
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(host.Kubeconfig));
            var secret = await client.CoreV1.ReadNamespacedSecretAsync("creds", ns);
            Assert.Equal(password, Encoding.UTF8.GetString(secret.Data["password"]));
            var config = await client.CoreV1.ReadNamespacedConfigMapAsync("settings", ns);
            Assert.Equal((string?)before["configmaps/settings"]["metadata"]!["resourceVersion"], config.Metadata.ResourceVersion);
            Assert.Equal("blue", config.Metadata.Labels["tier"]);

            // The deployment's pods come back: the same two, no extra replica.
            await Poll.UntilAsync(() => ReadyReplicasAsync(restored, ns), r => r == 2, TimeSpan.FromSeconds(120), "2 ready replicas after the restore");
            Assert.Equal(podsBefore, await PodNamesAsync(restored, ns));

            // History before the restore is gone (410), and new versions start above every restored one.
            var stale = await restored.RunAsync($"get --raw /api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion=1&timeoutSeconds=5", timeout: TimeSpan.FromSeconds(30));
            Assert.Contains("\"code\":410", stale.Stdout + stale.Stderr);
            (await restored.RunAsync($"create configmap later -n {ns} --from-literal=a=b")).EnsureSuccess();
            var later = long.Parse((await restored.RunAsync($"get configmap later -n {ns} -o jsonpath={{.metadata.resourceVersion}}")).EnsureSuccess().Stdout, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(later > contents.Header.Kinds.Single(k => k.Kind == "configmaps").ReservedUpTo);

            // The allocator knows every restored Service's address: a new Service gets a free one.
            var taken = JsonNode.Parse((await restored.RunAsync("get services -A -o json")).EnsureSuccess().Stdout)!["items"]!.AsArray()
                .Select(i => (string?)i!["spec"]!["clusterIP"]).OfType<string>().ToHashSet(StringComparer.Ordinal);
            Assert.Contains((string)before["services/web"]["spec"]!["clusterIP"]!, taken);
            (await restored.RunAsync($"create service clusterip other -n {ns} --tcp=80:80")).EnsureSuccess();
            var otherIp = (await restored.RunAsync($"get service other -n {ns} -o jsonpath={{.spec.clusterIP}}")).EnsureSuccess().Stdout;
            Assert.DoesNotContain(otherIp, taken);
        }
        finally
        {
            await restored.RunAsync("delete pods --all --all-namespaces --timeout=60s", timeout: TimeSpan.FromSeconds(70));
            await host.DisposeAsync();
            await kubectl.RunAsync($"delete namespace {ns} --wait=false");
        }
    }

    [Fact]
    public async Task ABackupTakenWhileWritesGoOnHoldsEachKindAtOneVersion()
    {
        var ns = "bw-" + Guid.NewGuid().ToString("N")[..10];
        using var http = cluster.CreateHttpClient();
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/namespaces", Json($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}"""))).StatusCode);
        var listRv = (string)JsonNode.Parse(await http.GetStringAsync($"/api/v1/namespaces/{ns}/configmaps"))!["metadata"]!["resourceVersion"]!;

        // Every change of the namespace's ConfigMaps, in order, from a watch that starts before the writes.
        var events = new List<(string Type, string Name, long Version)>();
        using var watchClient = cluster.CreateHttpClient();
        watchClient.Timeout = Timeout.InfiniteTimeSpan;
        using var stopWatch = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var watch = Task.Run(async () =>
        {
            using var response = await watchClient.GetAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={listRv}&timeoutSeconds=300", HttpCompletionOption.ResponseHeadersRead, stopWatch.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stopWatch.Token));
            while (await reader.ReadLineAsync(stopWatch.Token) is { } line)
            {
                var ev = JsonNode.Parse(line)!;
                lock (events)
                {
                    events.Add(((string)ev["type"]!, (string)ev["object"]!["metadata"]!["name"]!, long.Parse((string)ev["object"]!["metadata"]!["resourceVersion"]!, System.Globalization.CultureInfo.InvariantCulture)));
                }
            }
        });

        var mutations = 0;
        var stop = false;
        var writer = Task.Run(async () =>
        {
            for (var i = 0; !stop && i < 2000; i++)
            {
                Assert.Equal(HttpStatusCode.Created, (await http.PostAsync($"/api/v1/namespaces/{ns}/configmaps", Json($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c{{{i}}}"},"data":{"i":"0"}}"""))).StatusCode);
                Interlocked.Increment(ref mutations);
                if (i > 0)
                {
                    var patch = new StringContent($$$"""{"data":{"i":"{{{i}}}"}}""", Encoding.UTF8, "application/merge-patch+json");
                    Assert.Equal(HttpStatusCode.OK, (await http.PatchAsync($"/api/v1/namespaces/{ns}/configmaps/c{i - 1}", patch)).StatusCode);
                    Interlocked.Increment(ref mutations);
                }

                if (i % 4 == 3)
                {
                    Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync($"/api/v1/namespaces/{ns}/configmaps/c{i - 2}")).StatusCode);
                    Interlocked.Increment(ref mutations);
                }
            }
        });

        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref mutations)), m => m >= 20 || writer.IsCompleted, TimeSpan.FromSeconds(60), "writes under way");
        var file = Path.Combine(scratch, "busy.bak");
        var backup = await GrainetesCli.RunAsync("backup", "--storage", cluster.StorageConnectionString, "--secrets-key-file", KeyFile, "--out", file);
        Assert.True(backup.ExitCode == 0, backup.Stdout + backup.Stderr);
        var afterBackup = Volatile.Read(ref mutations);
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref mutations)), m => m >= afterBackup + 10 || writer.IsCompleted, TimeSpan.FromSeconds(60), "writes after the backup");
        stop = true;
        await writer;
        var total = Volatile.Read(ref mutations);
        await Poll.UntilAsync(() => Task.FromResult(Count()), c => c >= total, TimeSpan.FromSeconds(60), "every change watched");
        await stopWatch.CancelAsync();
        await Task.WhenAny(watch);

        var contents = await BackupFileReader.ReadAsync(file, CancellationToken.None);
        var cut = contents.Header.Kinds.Single(k => k.Kind == "configmaps").ResourceVersion;
        List<(string Type, string Name, long Version)> seen;
        lock (events)
        {
            seen = events.ToList();
        }

        // Writes straddle the backup: some came before its cut, some after.
        Assert.Contains(seen, e => e.Version <= cut);
        Assert.Contains(seen, e => e.Version > cut);

        // The backup holds exactly the namespace's state after every change up to the cut.
        var expected = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var e in seen.Where(e => e.Version <= cut))
        {
            if (e.Type == "DELETED")
            {
                expected.Remove(e.Name);
            }
            else
            {
                expected[e.Name] = e.Version;
            }
        }

        var actual = new SortedDictionary<string, long>(
            contents.Entries.Where(e => e.Kind == "configmaps" && e.Namespace == ns).ToDictionary(e => e.Name, e => e.ResourceVersion),
            StringComparer.Ordinal);
        Assert.Equal(expected, actual);
        (await cluster.Kubectl.RunAsync($"delete namespace {ns} --wait=false")).EnsureSuccess();

        int Count()
        {
            lock (events)
            {
                return events.Count;
            }
        }
    }

    [Fact]
    public async Task DamagedFilesAndNonEmptyStoresAreRefusedWithoutAWrite()
    {
        var file = Path.Combine(scratch, "good.bak");
        var backup = await GrainetesCli.RunAsync("backup", "--storage", cluster.StorageConnectionString, "--secrets-key-file", KeyFile, "--out", file);
        Assert.True(backup.ExitCode == 0, backup.Stdout + backup.Stderr);

        var installation = AzuriteInstallation.Locate(RepositoryPaths.Root);
        await using var target = await AzuriteProcess.StartAsync(installation, await installation.LoadSettingsAsync() with { TablePort = 0 }, Path.Combine(scratch, "target"), NullLogger.Instance);
        var first = await Restore(file);
        Assert.True(first.ExitCode == 0, first.Stdout + first.Stderr);
        var objects = (await BackupFileReader.ReadAsync(file, CancellationToken.None)).Entries.Count;
        Assert.Equal(objects, await StoreDigest.CountAsync(target.ConnectionString, "GrainetesIndex"));
        var digest = await StoreDigest.ComputeAsync(target.ConnectionString);

        var again = await Restore(file);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("not empty", again.Stderr);
        Assert.Equal(digest, await StoreDigest.ComputeAsync(target.ConnectionString));

        // With --force, so only the file's checks can stop them.
        var bytes = await File.ReadAllBytesAsync(file);
        var headerLength = Array.IndexOf(bytes, (byte)'\n') + 1;
        var headerText = Encoding.UTF8.GetString(bytes, 0, headerLength);
        var damaged = new Dictionary<string, byte[]>
        {
            ["flipped"] = Flip(bytes, headerLength + ((bytes.Length - headerLength) / 2)),
            ["truncated"] = bytes[..(headerLength + ((bytes.Length - headerLength) * 2 / 3))],
            ["bad-header"] = [.. "not a backup at all\n"u8.ToArray(), .. bytes[headerLength..]],
            ["future-version"] = [.. Encoding.UTF8.GetBytes(headerText.Replace("\"version\":1,", "\"version\":99,", StringComparison.Ordinal)), .. bytes[headerLength..]],
            ["empty"] = [],
        };
        foreach (var (name, content) in damaged)
        {
            var path = Path.Combine(scratch, name + ".bak");
            await File.WriteAllBytesAsync(path, content);
            var refused = await Restore(path, "--force");
            Assert.True(refused.ExitCode == 1, $"{name}: exit {refused.ExitCode}\n{refused.Stdout}{refused.Stderr}");
            Assert.Contains("restore refused", refused.Stderr);
            Assert.Equal(digest, await StoreDigest.ComputeAsync(target.ConnectionString));
        }

        var wrongKey = Path.Combine(scratch, "wrong.key");
        await File.WriteAllTextAsync(wrongKey, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        var keyRefused = await GrainetesCli.RunAsync("restore", "--in", file, "--storage", target.ConnectionString, "--secrets-key-file", wrongKey, "--force");
        Assert.Equal(1, keyRefused.ExitCode);
        Assert.Contains("sealed with key", keyRefused.Stderr);
        Assert.Equal(digest, await StoreDigest.ComputeAsync(target.ConnectionString));

        var forced = await Restore(file, "--force");
        Assert.True(forced.ExitCode == 0, forced.Stdout + forced.Stderr);
        Assert.Equal(objects, await StoreDigest.CountAsync(target.ConnectionString, "GrainetesIndex"));

        Task<CommandResult> Restore(string path, params string[] extra) =>
            GrainetesCli.RunAsync(["restore", "--in", path, "--storage", target.ConnectionString, "--secrets-key-file", KeyFile, .. extra]);
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0x5a;
        return copy;
    }

    private static async Task<Dictionary<string, JsonNode>> ReadObjectsAsync(Kubectl kubectl, string ns)
    {
        var result = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var kind in ComparedKinds)
        {
            var list = JsonNode.Parse((await kubectl.RunAsync($"get {kind} -n {ns} -o json")).EnsureSuccess().Stdout)!;
            foreach (var item in list["items"]!.AsArray())
            {
                result[kind + "/" + (string)item!["metadata"]!["name"]!] = item.DeepClone();
            }
        }

        result["namespaces/" + ns] = JsonNode.Parse((await kubectl.RunAsync($"get namespace {ns} -o json")).EnsureSuccess().Stdout)!;
        return result;
    }

    private static async Task<List<string>> PodNamesAsync(Kubectl kubectl, string ns) =>
        (await kubectl.RunAsync($"get pods -n {ns} -o jsonpath={{.items[*].metadata.name}}")).EnsureSuccess().Stdout
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();

    private static async Task<int> ReadyReplicasAsync(Kubectl kubectl, string ns) =>
        (int?)JsonNode.Parse((await kubectl.RunAsync($"get deploy web -n {ns} -o json")).EnsureSuccess().Stdout)!["status"]?["readyReplicas"] ?? 0;

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string Manifests(string image, string password) => $$$"""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings, labels: {tier: blue}}
        data: {colour: blue, size: "3"}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: creds, labels: {tier: blue}}
        type: Opaque
        data: {password: {{{Convert.ToBase64String(Encoding.UTF8.GetBytes(password))}}}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, labels: {tier: blue}}
        spec:
          replicas: 2
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              terminationGracePeriodSeconds: 2
              containers:
              - {name: web, image: {{{image}}}, command: [sleep, '3600']}
        """;
}
