using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Errors;

namespace Grainetes.Tests.Store;

/// <summary>The store's grains in a TestingHost cluster on real Azurite: versions, conflicts, lists, the change log.</summary>
public sealed class ObjectStoreGrainTests(StoreClusterFixture fixture) : IClassFixture<StoreClusterFixture>
{
    private IObjectGrain ConfigMap(string ns, string name) =>
        fixture.Grains.GetGrain<IObjectGrain>(new ObjectKey("configmaps", ns, name).GrainKey);

    private IResourceCollectionGrain ConfigMaps => fixture.Grains.GetGrain<IResourceCollectionGrain>("configmaps");

    private static string Cm(string name, string value) =>
        new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name }, ["data"] = new JsonObject { ["v"] = value } }.ToJsonString();

    private static long Rv(string json) => long.Parse((string)JsonNode.Parse(json)!["metadata"]!["resourceVersion"]!);

    [Fact]
    public async Task ConcurrentWritesGetStrictlyIncreasingVersionsAndTheLogHasThemInOrder()
    {
        var ns = "c" + Guid.NewGuid().ToString("N")[..8];
        var start = await ConfigMaps.CurrentResourceVersion();
        var created = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => ConfigMap(ns, "o" + i).Create(Cm("o" + i, "x"), WriteOptions.Default)));
        Assert.Equal(40, created.Select(Rv).Distinct().Count());

        var batch = await ConfigMaps.Poll(start, ns, TimeSpan.Zero);
        var versions = batch.Events.Select(e => e.ResourceVersion).ToList();
        Assert.Equal(40, versions.Count);
        Assert.Equal(versions.Order(), versions);
        Assert.All(batch.Events, e => Assert.Equal(WatchEventType.Added, e.Type));
    }

    [Fact]
    public async Task AStaleUpdateIsAConflictAndChangesNothing()
    {
        var ns = "s" + Guid.NewGuid().ToString("N")[..8];
        var grain = ConfigMap(ns, "a");
        var first = await grain.Create(Cm("a", "1"), WriteOptions.Default);
        var second = await grain.Update(Cm("a", "2").Replace("\"name\":\"a\"", $"\"name\":\"a\",\"resourceVersion\":\"{Rv(first)}\""), WriteOptions.Default);
        var error = await Assert.ThrowsAsync<ApiException>(() =>
            grain.Update(Cm("a", "3").Replace("\"name\":\"a\"", $"\"name\":\"a\",\"resourceVersion\":\"{Rv(first)}\""), WriteOptions.Default));
        Assert.Equal(409, error.Code);
        Assert.Equal("Conflict", error.Reason);
        Assert.Equal(second, await grain.Get());
    }

    [Fact]
    public async Task CreatingAnExistingObjectIsAlreadyExists()
    {
        var ns = "e" + Guid.NewGuid().ToString("N")[..8];
        await ConfigMap(ns, "a").Create(Cm("a", "1"), WriteOptions.Default);
        var error = await Assert.ThrowsAsync<ApiException>(() => ConfigMap(ns, "a").Create(Cm("a", "2"), WriteOptions.Default));
        Assert.Equal(409, error.Code);
        Assert.Equal("AlreadyExists", error.Reason);
    }

    [Fact]
    public async Task ChunkedListsComeFromOneSnapshot()
    {
        var ns = "l" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 5; i++)
        {
            await ConfigMap(ns, "i" + i).Create(Cm("i" + i, "x"), WriteOptions.Default);
        }

        var first = await ConfigMaps.List(new ListRequest { Namespace = ns, Limit = 2 });
        Assert.Equal(2, first.Items.Count);
        Assert.Equal(3, first.RemainingItemCount);
        await ConfigMap(ns, "i0a").Create(Cm("i0a", "late"), WriteOptions.Default);
        var names = first.Items.Select(Name).ToList();
        var next = first;
        while (next.Continue is not null)
        {
            next = await ConfigMaps.List(new ListRequest { Namespace = ns, Limit = 2, Continue = next.Continue });
            Assert.Equal(first.ResourceVersion, next.ResourceVersion);
            names.AddRange(next.Items.Select(Name));
        }

        Assert.Equal(["i0", "i1", "i2", "i3", "i4"], names);
    }

    [Fact]
    public async Task AWatchFromACompactedVersionIsGone()
    {
        var ns = "g" + Guid.NewGuid().ToString("N")[..8];
        var start = await ConfigMaps.CurrentResourceVersion();
        var grain = ConfigMap(ns, "churn");
        await grain.Create(Cm("churn", "0"), WriteOptions.Default);
        for (var i = 1; i <= StoreClusterFixture.RetainedEvents * 3; i++)
        {
            await grain.Update(Cm("churn", i.ToString(System.Globalization.CultureInfo.InvariantCulture)), WriteOptions.Default);
        }

        var batch = await Poll(start);
        Assert.True(batch.Gone);
        var recent = await ConfigMaps.Poll(await ConfigMaps.CurrentResourceVersion() - 1, ns, TimeSpan.Zero);
        Assert.False(recent.Gone);
    }

    [Fact]
    public async Task LargeObjectsLeaveTheWatchWindowInMemoryButWatchesStillGetEveryEventFromTheLog()
    {
        var ns = "m" + Guid.NewGuid().ToString("N")[..8];
        var start = await ConfigMaps.CurrentResourceVersion();
        var big = new string('x', 8 * 1024);
        var sent = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            // 30 × 8 KiB is several times the fixture's memory bound, so the first events are only in the log.
            sent.Add(await ConfigMap(ns, "big" + i).Create(Cm("big" + i, big + i), WriteOptions.Default));
        }

        var seen = new List<ChangeEvent>();
        var after = start;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (seen.Count < sent.Count && DateTime.UtcNow < deadline)
        {
            var batch = await ConfigMaps.Poll(after, ns, TimeSpan.Zero);
            Assert.False(batch.Gone);
            seen.AddRange(batch.Events);
            after = Math.Max(after, batch.LatestResourceVersion);
        }

        Assert.Equal(sent.Select(Rv), seen.Select(e => e.ResourceVersion));
        Assert.Equal(sent.Select(s => JsonNode.Parse(s)!["data"]!["v"]!.GetValue<string>()), seen.Select(e => JsonNode.Parse(e.Json)!["data"]!["v"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ANewKindNeverListsAtVersionZeroAndAWatchFromItsListVersionGetsTheFirstObject()
    {
        // Clients read resourceVersion "0" as "any version": a list of a kind nobody has written yet must not answer it.
        var accounts = fixture.Grains.GetGrain<IResourceCollectionGrain>("serviceaccounts");
        var list = await accounts.List(new ListRequest { Namespace = "nobody" });
        Assert.Empty(list.Items);
        Assert.True(list.ResourceVersion > 0);

        var ns = "z" + Guid.NewGuid().ToString("N")[..8];
        var sa = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ServiceAccount", ["metadata"] = new JsonObject { ["name"] = "first" } }.ToJsonString();
        var created = await fixture.Grains.GetGrain<IObjectGrain>(new ObjectKey("serviceaccounts", ns, "first").GrainKey).Create(sa, WriteOptions.Default);
        var batch = await accounts.Poll(list.ResourceVersion, ns, TimeSpan.FromSeconds(5));
        Assert.Equal(Rv(created), Assert.Single(batch.Events).ResourceVersion);
    }

    private async Task<WatchBatch> Poll(long after)
    {
        // Compaction runs after the index flush that follows the writes; poll until it has.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var batch = await ConfigMaps.Poll(after, null, TimeSpan.Zero);
            if (batch.Gone || DateTime.UtcNow > deadline)
            {
                return batch;
            }

            await Task.Delay(100);
        }
    }

    private static string Name(string json) => (string)JsonNode.Parse(json)!["metadata"]!["name"]!;
}
