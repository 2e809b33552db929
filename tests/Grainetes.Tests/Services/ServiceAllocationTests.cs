using System.Net;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Services;
using Grainetes.Machinery.Errors;
using static Grainetes.Tests.Services.ServiceObjects;

namespace Grainetes.Tests.Services;

/// <summary>ClusterIP and NodePort allocation through the Service create/update/delete path, on real storage.</summary>
[Collection(ServicesCollection.Name)]
public sealed class ServiceAllocationTests(ServicesClusterFixture fixture)
{
    private static readonly IPNetwork DefaultRange = IPNetwork.Parse("10.244.240.0/20");

    private IServiceIpAllocatorGrain Allocator => fixture.Grains.GetGrain<IServiceIpAllocatorGrain>("default");

    private static string ClusterIp(JsonObject svc) => Str(svc["spec"]!["clusterIP"])!;

    private static List<int> NodePortsOf(JsonObject svc) =>
        ((JsonArray)svc["spec"]!["ports"]!).Select(p => Int(p!["nodePort"])).ToList();

    [Fact]
    public async Task FiftyConcurrentCreatesGetDistinctAddressesThatSurviveARestart()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        var created = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => s.CreateAsync("services", Service($"svc-{i}"))));

        var ips = created.Select(ClusterIp).ToList();
        Assert.Equal(50, ips.Distinct().Count());
        Assert.All(created, svc =>
        {
            var ip = IPAddress.Parse(ClusterIp(svc));
            Assert.True(DefaultRange.Contains(ip), $"{ip} is outside the service range");
            var spec = svc["spec"]!;
            Assert.Equal(ClusterIp(svc), Str(spec["clusterIPs"]![0]));
            Assert.Equal("IPv4", Str(spec["ipFamilies"]![0]));
            Assert.Equal("SingleStack", Str(spec["ipFamilyPolicy"]));
            Assert.Equal("Cluster", Str(spec["internalTrafficPolicy"]));
        });

        await fixture.RestartAsync();

        // The stored services and the allocator's row both come back; new services get none of the old addresses.
        var listed = await s.ListAsync("services");
        Assert.Equal(ips.ToHashSet(), listed.Select(ClusterIp).ToHashSet());
        var snapshot = await Allocator.Snapshot();
        Assert.All(ips, ip => Assert.Equal(s.Ns + "/", snapshot.ClusterIPs[ip][..(s.Ns.Length + 1)]));
        var more = await Task.WhenAll(Enumerable.Range(50, 10).Select(i => s.CreateAsync("services", Service($"svc-{i}"))));
        Assert.Empty(more.Select(ClusterIp).Intersect(ips));
        Assert.Equal(10, more.Select(ClusterIp).Distinct().Count());

        // A requested address that is taken is refused as Kubernetes does.
        var taken = await Assert.ThrowsAsync<ApiException>(() => s.CreateAsync("services", WithClusterIp(Service("dup"), ips[0])));
        Assert.Equal(422, taken.Code);
        Assert.Contains("provided IP is already allocated", taken.Message, StringComparison.Ordinal);
        Assert.Equal("spec.clusterIPs", Assert.Single(taken.Causes).Field);

        var outside = await Assert.ThrowsAsync<ApiException>(() => s.CreateAsync("services", WithClusterIp(Service("far"), "10.0.0.1")));
        Assert.Equal(422, outside.Code);
        Assert.Contains("not in the valid range", outside.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodePortsAreAllocatedInRangeAndATakenPortIsRefused()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        var svc = await s.CreateAsync("services", Service("np", "NodePort", null,
            new JsonObject { ["name"] = "http", ["port"] = 80 },
            new JsonObject { ["name"] = "https", ["port"] = 443 }));
        var ports = NodePortsOf(svc);
        Assert.Equal(2, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 30000, 32767));
        Assert.Equal("Cluster", Str(svc["spec"]!["externalTrafficPolicy"]));

        var clash = Service("np2", "NodePort", null, new JsonObject { ["port"] = 80, ["nodePort"] = ports[1] });
        var refused = await Assert.ThrowsAsync<ApiException>(() => s.CreateAsync("services", clash));
        Assert.Equal(422, refused.Code);
        Assert.Equal("spec.ports[0].nodePort", Assert.Single(refused.Causes).Field);
        Assert.Contains("provided port is already allocated", refused.Message, StringComparison.Ordinal);
        Assert.Null(await s.GetAsync("services", "np2"));

        var outOfRange = Service("np3", "NodePort", null, new JsonObject { ["port"] = 80, ["nodePort"] = 8080 });
        Assert.Equal(422, (await Assert.ThrowsAsync<ApiException>(() => s.CreateAsync("services", outOfRange))).Code);

        // A LoadBalancer gets node ports too; a headless service gets no address at all.
        var lb = await s.CreateAsync("services", Service("lb", "LoadBalancer"));
        Assert.InRange(NodePortsOf(lb)[0], 30000, 32767);
        var headless = await s.CreateAsync("services", WithClusterIp(Service("headless", ports: new JsonObject { ["port"] = 80 }), "None"));
        Assert.Equal("None", ClusterIp(headless));
        Assert.DoesNotContain(s.Ns + "/headless", (await Allocator.Snapshot()).ClusterIPs.Values);
    }

    [Fact]
    public async Task UpdatesKeepTheAllocationsAndDeletionFreesThem()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        var svc = await s.CreateAsync("services", Service("web", "NodePort", null, new JsonObject { ["name"] = "http", ["port"] = 80 }));
        var ip = ClusterIp(svc);
        var nodePort = NodePortsOf(svc)[0];

        // A replace that leaves the allocated fields out (kubectl replace of the original manifest) keeps them.
        var replace = Service("web", "NodePort", null, new JsonObject { ["name"] = "http", ["port"] = 80 });
        var replaced = JsonNode.Parse(await s.Object("services", "web").Update(replace.ToJsonString(), Grainetes.Abstractions.Store.WriteOptions.Default))!.AsObject();
        Assert.Equal(ip, ClusterIp(replaced));
        Assert.Equal(nodePort, NodePortsOf(replaced)[0]);

        var move = new JsonObject { ["spec"] = new JsonObject { ["clusterIP"] = "10.244.240.250", ["clusterIPs"] = null } };
        var immutable = await Assert.ThrowsAsync<ApiException>(() => s.MergePatchAsync("services", "web", move));
        Assert.Equal(422, immutable.Code);

        // Node ports go with the type that needed them.
        var clusterOnly = await s.MergePatchAsync("services", "web", new JsonObject { ["spec"] = new JsonObject { ["type"] = "ClusterIP" } });
        Assert.Null(clusterOnly["spec"]!["ports"]![0]!["nodePort"]);
        Assert.Equal(ip, ClusterIp(clusterOnly));
        Assert.False((await Allocator.Snapshot()).NodePorts.ContainsKey(nodePort));

        await s.DeleteAsync("services", "web");
        var snapshot = await Allocator.Snapshot();
        Assert.False(snapshot.ClusterIPs.ContainsKey(ip));
        Assert.DoesNotContain(s.Ns + "/web", snapshot.ClusterIPs.Values);

        // Both are free for the next service that asks for them.
        var again = await s.CreateAsync("services", WithClusterIp(
            Service("again", "NodePort", null, new JsonObject { ["port"] = 80, ["nodePort"] = nodePort }), ip));
        Assert.Equal(ip, ClusterIp(again));
        Assert.Equal(nodePort, NodePortsOf(again)[0]);
    }

    [Fact]
    public async Task RepairFreesWhatNoServiceNamesAndTakesBackWhatAServiceNames()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        var svc = await s.CreateAsync("services", Service("kept", "NodePort"));
        var ip = ClusterIp(svc);
        var nodePort = NodePortsOf(svc)[0];

        // A create that allocated and then failed to commit leaves holdings no service names.
        var orphan = await Allocator.Allocate(new ServiceAllocationRequest { Owner = s.Ns + "/never-written", Uid = "u", ClusterIP = "", NodePorts = [0] });
        Assert.True(orphan.Succeeded);

        // And a lost allocator row would leave a live service's addresses unheld.
        await Allocator.Release(s.Ns + "/kept", Str(svc["metadata"]!["uid"])!);
        Assert.False((await Allocator.Snapshot()).ClusterIPs.ContainsKey(ip));

        await Allocator.Repair();

        var snapshot = await Allocator.Snapshot();
        Assert.False(snapshot.ClusterIPs.ContainsKey(orphan.ClusterIP!));
        Assert.False(snapshot.NodePorts.ContainsKey(orphan.NodePorts[0]));
        Assert.Equal(s.Ns + "/kept", snapshot.ClusterIPs[ip]);
        Assert.Equal(s.Ns + "/kept", snapshot.NodePorts[nodePort]);
    }

    private static JsonObject WithClusterIp(JsonObject svc, string ip)
    {
        svc["spec"]!["clusterIP"] = ip;
        return svc;
    }
}
