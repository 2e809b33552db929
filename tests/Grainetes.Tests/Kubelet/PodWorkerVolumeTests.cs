using System.Runtime.Versioning;
using System.Text;
using System.Text.Json.Nodes;

namespace Grainetes.Tests.Kubelet;

/// <summary>Secret, ConfigMap and projected volumes: files written before the containers start, FailedMount until they can be, refreshed later.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class PodWorkerVolumeTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("grainetes-volumes-").FullName;

    [Fact]
    public async Task SecretConfigMapAndProjectedVolumesAreWrittenWithTheirModesAndMountedReadOnly()
    {
        var pod = TestPods.Pod(
            """
            [{ "name": "app", "image": "busybox:1.36", "volumeMounts": [
              { "name": "creds", "mountPath": "/etc/creds" },
              { "name": "settings", "mountPath": "/etc/settings", "readOnly": false },
              { "name": "all", "mountPath": "/etc/all" }] }]
            """,
            """
            "volumes": [
              { "name": "creds", "secret": { "secretName": "db", "defaultMode": 256, "items": [{ "key": "password", "path": "auth/pw", "mode": 384 }] } },
              { "name": "settings", "configMap": { "name": "app" } },
              { "name": "all", "projected": { "defaultMode": 288, "sources": [
                { "secret": { "name": "db" } }, { "configMap": { "name": "app", "items": [{ "key": "mode", "path": "mode.txt" }] } }] } }]
            """);
        await using var h = Harness(pod, host =>
        {
            host.Put("secrets", "default", "db", Secret(("password", "s3cret"), ("user", "admin")));
            host.Put("configmaps", "default", "app", new JsonObject
            {
                ["data"] = new JsonObject { ["mode"] = "fast" },
                ["binaryData"] = new JsonObject { ["blob"] = Convert.ToBase64String([0, 1, 2]) },
            });
        });

        await h.UntilAsync(() => h.Phase == "Running", "pod running");
        var mounts = h.Runtime.Created.Single().Mounts.ToDictionary(m => m.ContainerPath);
        Assert.All(mounts.Values, m => Assert.True(m.ReadOnly));
        var creds = mounts["/etc/creds"].HostPath;
        Assert.Equal("s3cret", File.ReadAllText(Path.Combine(creds, "auth", "pw")));
        Assert.False(Path.Exists(Path.Combine(creds, "user")));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(Path.Combine(creds, "..data", "auth", "pw")));
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(creds));

        var settings = mounts["/etc/settings"].HostPath;
        Assert.Equal("fast", File.ReadAllText(Path.Combine(settings, "mode")));
        Assert.Equal([0, 1, 2], File.ReadAllBytes(Path.Combine(settings, "blob")));
        Assert.Equal((UnixFileMode)0b110_100_100, File.GetUnixFileMode(Path.Combine(settings, "..data", "mode")));

        var all = mounts["/etc/all"].HostPath;
        Assert.Equal(
            ["mode.txt", "password", "user"],
            Directory.EnumerateFileSystemEntries(all).Select(Path.GetFileName).Where(n => !n!.StartsWith("..", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal((UnixFileMode)0b100_100_000, File.GetUnixFileMode(Path.Combine(all, "..data", "user")));
    }

    [Fact]
    public async Task AMissingSecretIsFailedMountUntilItAppearsAndAnUpdateReachesTheFile()
    {
        var pod = TestPods.Pod(
            """[{ "name": "app", "image": "busybox:1.36", "volumeMounts": [{ "name": "creds", "mountPath": "/etc/creds" }] }]""",
            """ "volumes": [{ "name": "creds", "secret": { "secretName": "db" } }] """);
        await using var h = Harness(pod);

        await h.UntilAsync(() => h.Host.Events.Any(e => e.Reason == "FailedMount"), "FailedMount");
        var failed = h.Host.Events.Single(e => e.Reason == "FailedMount");
        Assert.Equal("Warning", failed.Type);
        Assert.Equal("MountVolume.SetUp failed for volume \"creds\" : secret \"db\" not found", failed.Message);
        Assert.Equal("ContainerCreating", (string?)h.ContainerStatus("app")?["state"]?["waiting"]?["reason"]);
        await h.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Empty(h.Runtime.Created);
        Assert.Single(h.Host.Events, e => e.Reason == "FailedMount");

        h.Host.Put("secrets", "default", "db", Secret(("password", "one")));
        await h.UntilAsync(() => h.Phase == "Running", "running once the secret exists");
        var file = Path.Combine(h.Runtime.Created.Single().Mounts.Single().HostPath, "password");
        Assert.Equal("one", File.ReadAllText(file));

        h.Host.Put("secrets", "default", "db", Secret(("password", "two")));
        await h.UntilAsync(() => File.ReadAllText(file) == "two", "the update in the file");

        // A Secret deleted later leaves the files and the container as they are.
        h.Host.Put("secrets", "default", "db", Secret());
        await h.UntilAsync(() => !File.Exists(file), "the removed key gone");
        Assert.Equal("Running", h.Phase);
        Assert.Single(h.Runtime.Created);
    }

    [Fact]
    public async Task OptionalSourcesMayBeMissingButAMissingKeyIsNot()
    {
        var pod = TestPods.Pod(
            """[{ "name": "app", "image": "busybox:1.36", "volumeMounts": [{ "name": "opt", "mountPath": "/opt" }, { "name": "cm", "mountPath": "/cm" }] }]""",
            """
            "volumes": [
              { "name": "opt", "secret": { "secretName": "nothing", "optional": true } },
              { "name": "cm", "configMap": { "name": "app", "items": [{ "key": "absent", "path": "x" }] } }]
            """);
        await using var h = Harness(pod, host => host.Put("configmaps", "default", "app", new JsonObject { ["data"] = new JsonObject { ["present"] = "1" } }));

        await h.UntilAsync(() => h.Host.Events.Any(e => e.Reason == "FailedMount"), "FailedMount");
        Assert.Equal(
            "MountVolume.SetUp failed for volume \"cm\" : configmap references non-existent config key: absent",
            h.Host.Events.Single(e => e.Reason == "FailedMount").Message);
        Assert.Empty(h.Runtime.Created);

        h.Host.Put("configmaps", "default", "app", new JsonObject { ["data"] = new JsonObject { ["absent"] = "here" } });
        await h.UntilAsync(() => h.Phase == "Running", "running once the key exists");
        var opt = h.Runtime.Created.Single().Mounts.Single(m => m.ContainerPath == "/opt").HostPath;
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(opt), p => !Path.GetFileName(p).StartsWith("..", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private WorkerHarness Harness(JsonObject pod, Action<FakePodHost>? hostSetup = null) =>
        new(pod, r => r.FileVolumeRoot = root, hostSetup);

    private static JsonObject Secret(params (string Key, string Value)[] data)
    {
        var map = new JsonObject();
        foreach (var (key, value) in data) map[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value));
        return new JsonObject { ["data"] = map };
    }
}
