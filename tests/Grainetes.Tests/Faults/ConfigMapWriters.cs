using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Errors;

namespace Grainetes.Tests.Faults;

/// <summary>
/// Concurrent writers creating, replacing and deleting ConfigMaps of one namespace through the object grains (as the
/// API does), each owning its names, recording what the store acknowledged; and the checks that every acknowledged
/// write survived. Shared by the fault tests that kill silos under load. Each writer waits <paramref name="thinkTime"/>
/// between writes (none by default: as fast as the store answers).
/// </summary>
internal sealed class ConfigMapWriters(IGrainFactory grains, string ns, int namesPerWriter = 8, TimeSpan thinkTime = default)
{
    public ConcurrentDictionary<string, AcknowledgedWrite> Acknowledged { get; } = new(StringComparer.Ordinal);

    /// <summary>Every value any writer sent, acknowledged or not.</summary>
    public ConcurrentDictionary<string, byte> Attempted { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Violations { get; } = new();

    public ConcurrentDictionary<string, int> Counts { get; } = new(StringComparer.Ordinal);

    public string Namespace => ns;

    public string Summary => string.Join(", ", Counts.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}"));

    private IResourceCollectionGrain Collection => grains.GetGrain<IResourceCollectionGrain>("configmaps");

    public Task CreateNamespaceAsync() =>
        grains.GetGrain<IObjectGrain>(new ObjectKey("namespaces", "", ns).GrainKey)
            .Create(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } }.ToJsonString(), WriteOptions.Default);

    /// <summary>Runs <paramref name="writers"/> writers until <paramref name="stop"/> is cancelled.</summary>
    public Task RunAsync(int writers, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() => WriteAsync(w, stop), CancellationToken.None)));

    /// <summary>
    /// Asserts that no writer saw a violation, that every acknowledged write reads back exactly as acknowledged
    /// (content and resourceVersion; deletes absent), and that a list holds exactly the live objects at their
    /// versions. Returns that list, whose resourceVersion bounds a replay of the change log.
    /// </summary>
    public async Task<ListResult> AssertAcknowledgedAsync()
    {
        Assert.True(Violations.IsEmpty, string.Join("\n", Violations));
        foreach (var ack in Acknowledged.Values)
        {
            var json = await RetryAsync(() => grains.GetGrain<IObjectGrain>(new ObjectKey("configmaps", ns, ack.Name).GrainKey).Get());
            if (ack.Deleted)
            {
                Assert.True(json is null, $"{ack.Name} was deleted at {ack.ResourceVersion} but reads {json}");
            }
            else
            {
                Assert.True(json is not null, $"{ack.Name} acknowledged at {ack.ResourceVersion} is missing");
                var obj = JsonNode.Parse(json)!;
                Assert.Equal(ack.ResourceVersion, (string?)obj["metadata"]!["resourceVersion"]);
                Assert.Equal(ack.Value, (string?)obj["data"]?["v"]);
            }
        }

        var list = await RetryAsync(() => Collection.List(new ListRequest { Namespace = ns }));
        var listed = list.Items.Select(i => JsonNode.Parse(i)!).ToDictionary(o => (string)o["metadata"]!["name"]!, o => (string)o["metadata"]!["resourceVersion"]!);
        Assert.Equal(Live.OrderBy(p => p.Key), listed.OrderBy(p => p.Key));
        return list;
    }

    /// <summary>The acknowledged objects that exist, by name, at their versions.</summary>
    public Dictionary<string, string> Live => Acknowledged.Values.Where(a => !a.Deleted).ToDictionary(a => a.Name, a => a.ResourceVersion, StringComparer.Ordinal);

    /// <summary>Reads through a silo's death: calls to a dead silo fail until membership declares it dead.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> read)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                return await read();
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    /// <summary>
    /// One writer owns its names. A write that fails may or may not have committed: the writer reads the object back
    /// and it must be either as last acknowledged or exactly as attempted, never anything else.
    /// </summary>
    private async Task WriteAsync(int writer, CancellationToken stop)
    {
        var random = new Random(writer);
        var seq = 0;
        while (!stop.IsCancellationRequested)
        {
            if (thinkTime > TimeSpan.Zero)
            {
                await Task.Delay(thinkTime, CancellationToken.None);
            }

            var name = $"w{writer}-{random.Next(namesPerWriter)}";
            var grain = grains.GetGrain<IObjectGrain>(new ObjectKey("configmaps", ns, name).GrainKey);
            Acknowledged.TryGetValue(name, out var before);
            var exists = before is { Deleted: false };
            var value = $"w{writer}-{seq++}";
            Attempted[value] = 0;
            var delete = exists && random.Next(4) == 0;
            try
            {
                string json;
                if (delete)
                {
                    json = (await grain.Delete(new DeleteOptions { PreconditionResourceVersion = before!.ResourceVersion })).Json;
                }
                else
                {
                    var body = ConfigMap(name, value, exists ? before!.ResourceVersion : null);
                    json = exists ? await grain.Update(body, WriteOptions.Default) : await grain.Create(body, WriteOptions.Default);
                }

                var rv = (string)JsonNode.Parse(json)!["metadata"]!["resourceVersion"]!;
                Acknowledged[name] = new AcknowledgedWrite(name, delete ? null : value, rv, delete);
                Counts.AddOrUpdate("ack", 1, (_, n) => n + 1);
            }
            catch (Exception ex) when (ex is not ApiException { Code: not 503 })
            {
                Counts.AddOrUpdate("failed", 1, (_, n) => n + 1);
                var current = await RetryAsync(grain.Get);
                var node = current is null ? null : JsonNode.Parse(current);
                var currentValue = (string?)node?["data"]?["v"];
                var currentRv = (string?)node?["metadata"]?["resourceVersion"];
                var asBefore = before is null || before.Deleted ? current is null : currentRv == before.ResourceVersion && currentValue == before.Value;
                var asAttempted = delete ? current is null : currentValue == value;
                if (!asBefore && !asAttempted)
                {
                    Violations.Enqueue($"{name}: after a failed write ({ex.GetType().Name}) it reads {current ?? "absent"}; acknowledged was {before}, attempted {(delete ? "delete" : value)}");
                }

                // What a read shows, a list (the change log's view) must show too, and soon: a stored change whose
                // log entry was lost would otherwise stay invisible to lists and watches.
                string? listed = null;
                var consistentBy = DateTime.UtcNow.AddSeconds(30);
                while ((listed = await ListedVersionAsync(name)) != currentRv && DateTime.UtcNow < consistentBy)
                {
                    await Task.Delay(200, CancellationToken.None);
                }

                if (listed != currentRv)
                {
                    Violations.Enqueue($"{name}: after a failed write ({ex.GetType().Name}) it reads version {currentRv ?? "absent"} but lists as {listed ?? "absent"}");
                }

                // What is there now is what later writes build on, as a client re-reading would.
                Acknowledged[name] = current is null
                    ? new AcknowledgedWrite(name, null, before?.ResourceVersion ?? "0", Deleted: true)
                    : new AcknowledgedWrite(name, currentValue, currentRv!, Deleted: false);
            }
            catch (ApiException ex)
            {
                Violations.Enqueue($"{name}: {ex.Code} {ex.Message} for a write its only writer expected to succeed");
            }
        }
    }

    private async Task<string?> ListedVersionAsync(string name)
    {
        var list = await RetryAsync(() => Collection.List(new ListRequest { Namespace = ns, FieldSelector = "metadata.name=" + name }));
        return list.Items.Count == 0 ? null : (string?)JsonNode.Parse(list.Items[0])!["metadata"]!["resourceVersion"];
    }

    private string ConfigMap(string name, string value, string? resourceVersion)
    {
        var meta = new JsonObject { ["name"] = name, ["namespace"] = ns };
        if (resourceVersion is not null)
        {
            meta["resourceVersion"] = resourceVersion;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = meta, ["data"] = new JsonObject { ["v"] = value } }.ToJsonString();
    }
}
