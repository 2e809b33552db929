using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Machinery.Errors;
using Grainetes.Tests.Controllers;
using Grainetes.Tests.EndToEnd;
using Grainetes.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Grainetes.Tests.Faults;

/// <summary>
/// A cluster of two silos loses its storage: Azurite is stopped and started again on the same port and data. Writes
/// served by either silo answer 503 while it is gone, both silos write again once it is back, and what was
/// acknowledged before is still there.
/// </summary>
public sealed class StorageLossMultiSiloTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Ns = "storageloss";
    private const int Names = 16;
    private AzuriteTestCluster? host;

    private IGrainFactory Grains => host!.Grains;

    public async Task InitializeAsync() => host = await AzuriteTestCluster.StartAsync<FailoverSiloConfigurator>("storageloss", silos: 2);

    public async Task DisposeAsync()
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task BothSilosAnswer503WhileStorageIsGoneAndWriteAgainOnceItIsBack()
    {
        var grains = Enumerable.Range(0, Names).Select(i => Grains.GetGrain<IObjectGrain>(new ObjectKey("configmaps", Ns, $"c{i}").GrainKey)).ToList();
        var acknowledged = new List<string>();
        for (var i = 0; i < Names; i++)
        {
            var json = await grains[i].Create(ConfigMap($"c{i}", "before", null), WriteOptions.Default);
            acknowledged.Add((string)JsonNode.Parse(json)!["metadata"]!["resourceVersion"]!);
        }

        // The objects' grains live on both silos, so both meet the outage.
        var management = Grains.GetGrain<IManagementGrain>(0);
        var silos = new HashSet<SiloAddress>();
        foreach (var grain in grains)
        {
            if (await management.GetActivationAddress(grain) is { } at)
            {
                silos.Add(at);
            }
        }

        Assert.Equal(2, silos.Count);

        await host!.StopStorageAsync();
        var outage = System.Diagnostics.Stopwatch.StartNew();
        var answers = await Task.WhenAll(grains.Select(async (grain, i) =>
        {
            var error = await Assert.ThrowsAnyAsync<Exception>(() => grain.Update(ConfigMap($"c{i}", "during", acknowledged[i]), WriteOptions.Default));
            return error is ApiException api ? api.Code.ToString(System.Globalization.CultureInfo.InvariantCulture) : error.GetType().Name;
        }));
        output.WriteLine($"during the outage ({outage.ElapsedMilliseconds} ms for {Names} writes): {string.Join(", ", answers.GroupBy(a => a).Select(g => $"{g.Key}×{g.Count()}"))}");
        Assert.All(answers, a => Assert.Equal("503", a));

        await host.StartStorageAsync();
        var back = System.Diagnostics.Stopwatch.StartNew();

        // A 503 may or may not have committed (storage can fail after the write): each object is as acknowledged or
        // as attempted, and, read back, takes the next write on both silos.
        for (var i = 0; i < Names; i++)
        {
            var index = i;
            await TransientPoll.UntilAsync(
                async () =>
                {
                    var current = JsonNode.Parse((await grains[index].Get())!)!;
                    var value = (string?)current["data"]!["v"];
                    var rv = (string)current["metadata"]!["resourceVersion"]!;
                    if (value == "after")
                    {
                        // An earlier try of this step committed although its answer was lost.
                        return true;
                    }

                    Assert.True(value == "during" || (value == "before" && rv == acknowledged[index]), $"c{index} reads {value}@{rv}; acknowledged before@{acknowledged[index]}");
                    await grains[index].Update(ConfigMap($"c{index}", "after", rv), WriteOptions.Default);
                    return true;
                },
                Workloads.Deadline,
                $"c{index} written again");
        }

        output.WriteLine($"every object written again {back.ElapsedMilliseconds} ms after storage came back");
        var list = await Grains.GetGrain<IResourceCollectionGrain>("configmaps").List(new ListRequest { Namespace = Ns });
        Assert.Equal(Names, list.Items.Count);
        Assert.All(list.Items, i => Assert.Equal("after", (string?)JsonNode.Parse(i)!["data"]!["v"]));
    }

    private static string ConfigMap(string name, string value, string? resourceVersion)
    {
        var meta = new JsonObject { ["name"] = name, ["namespace"] = Ns };
        if (resourceVersion is not null)
        {
            meta["resourceVersion"] = resourceVersion;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = meta, ["data"] = new JsonObject { ["v"] = value } }.ToJsonString();
    }
}
