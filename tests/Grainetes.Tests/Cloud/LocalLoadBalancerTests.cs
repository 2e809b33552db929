using System.Net;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Cloud;
using Grainetes.Abstractions.Controllers;
using Grainetes.Abstractions.Store;
using Grainetes.Tests.Services;
using static Grainetes.Tests.Cloud.LoadBalancerProbes;
using static Grainetes.Tests.Services.ServiceObjects;

namespace Grainetes.Tests.Cloud;

/// <summary>The local cloud provider's addresses through the load balancer controller, on real storage.</summary>
[Collection(LocalCloudCollection.Name)]
public sealed class LocalLoadBalancerTests(LocalCloudClusterFixture fixture)
{
    private ILoadBalancerIpAllocatorGrain Allocator => fixture.Grains.GetGrain<ILoadBalancerIpAllocatorGrain>("default");

    [Fact]
    public async Task EachLoadBalancerGetsItsOwnLoopbackAddressWhichReconcilesAndARestartKeep()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        var names = new[] { "a", "b", "c" };
        await Task.WhenAll(names.Select(n => s.CreateAsync("services", LoadBalancer(n))));
        var ready = new List<JsonObject>();
        foreach (var name in names)
        {
            ready.Add((await UntilAsync(s, name, svc => IngressIp(svc) is not null, $"an address for {name}"))!);
        }

        var ips = ready.Select(svc => IngressIp(svc)!).ToList();
        Assert.Equal(3, ips.Distinct().Count());
        Assert.All(ips, ip => Assert.True(IPNetwork.Parse(fixture.AddressRange).Contains(IPAddress.Parse(ip)), $"{ip} is outside {fixture.AddressRange}"));
        Assert.All(ready, svc => Assert.True(HasFinalizer(svc), "the cleanup finalizer is set before the balancer is made"));
        var events = await UntilEventAsync(s, "a", "EnsuredLoadBalancer");
        Assert.Contains(events, e => e.Reason == "EnsuringLoadBalancer");

        // Woken again and again, the controller finds everything in place and hands out nothing new.
        for (var i = 0; i < 2; i++)
        {
            foreach (var name in names)
            {
                await fixture.Grains.GetGrain<ILoadBalancerControllerGrain>(s.Ns + "/" + name).Reconcile();
            }
        }

        await fixture.RestartAsync();

        // A status write lost in the crash: the controller writes the address the book kept, not a new one.
        var lost = (await s.GetAsync("services", "b"))!;
        lost["status"] = new JsonObject();
        await s.Object("services", "b").Update(lost.ToJsonString(), new WriteOptions { Subresource = "status" });
        var restored = await UntilAsync(s, "b", svc => IngressIp(svc) is not null, "the address of b written again");
        Assert.Equal(ips[1], IngressIp(restored));
        foreach (var (name, ip) in names.Zip(ips))
        {
            Assert.Equal(ip, IngressIp(await s.GetAsync("services", name)));
        }

        var snapshot = await Allocator.Snapshot();
        foreach (var (name, ip) in names.Zip(ips))
        {
            Assert.Equal(s.Ns + "/" + name, snapshot[ip]);
        }

        Assert.Equal(3, snapshot.Values.Count(owner => owner.StartsWith(s.Ns + "/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ARequestedAddressIsHonouredWhenFreeAndRefusedWithAnEventOtherwise()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        var wanted = LoopbackRanges.At(fixture.AddressRange, 200);
        var first = LoadBalancer("first");
        first["spec"]!["loadBalancerIP"] = wanted;
        await s.CreateAsync("services", first);
        Assert.Equal(wanted, IngressIp(await UntilAsync(s, "first", svc => IngressIp(svc) is not null, "the requested address")));

        var second = LoadBalancer("second");
        second["spec"]!["loadBalancerIP"] = wanted;
        await s.CreateAsync("services", second);
        var failed = await UntilEventAsync(s, "second", "SyncLoadBalancerFailed");
        Assert.Contains(failed, e => e.Reason == "SyncLoadBalancerFailed" && e.Message.Contains("already allocated", StringComparison.Ordinal));
        Assert.Null(IngressIp(await s.GetAsync("services", "second")));

        var far = LoadBalancer("far");
        far["spec"]!["loadBalancerIP"] = "10.1.2.3";
        await s.CreateAsync("services", far);
        var refused = await UntilEventAsync(s, "far", "SyncLoadBalancerFailed");
        Assert.Contains(refused, e => e.Message.Contains("not in the local range", StringComparison.Ordinal));

        // Once the holder goes, the waiting service gets the address on its next retry.
        await s.DeleteAsync("services", "first");
        var moved = await UntilAsync(s, "second", svc => IngressIp(svc) is not null, "the freed address for second");
        Assert.Equal(wanted, IngressIp(moved));
    }

    [Fact]
    public async Task DeletionAndATypeChangeReleaseTheAddressAndTheFinalizer()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        await s.CreateAsync("services", LoadBalancer("gone"));
        await s.CreateAsync("services", LoadBalancer("demoted"));
        var goneIp = IngressIp(await UntilAsync(s, "gone", svc => IngressIp(svc) is not null, "an address for gone"))!;
        var demotedIp = IngressIp(await UntilAsync(s, "demoted", svc => IngressIp(svc) is not null, "an address for demoted"))!;

        // The finalizer holds the deletion until the balancer is deleted; then the service goes.
        await s.DeleteAsync("services", "gone");
        await UntilAsync(s, "gone", svc => svc is null, "the service gone after its balancer");
        Assert.False((await Allocator.Snapshot()).ContainsKey(goneIp));
        await UntilEventAsync(s, "gone", "DeletedLoadBalancer");

        await s.MergePatchAsync("services", "demoted", new JsonObject { ["spec"] = new JsonObject { ["type"] = "ClusterIP" } });
        var demoted = await UntilAsync(s, "demoted", svc => !HasFinalizer(svc) && IngressIp(svc) is null, "the balancer of demoted removed");
        Assert.Equal("ClusterIP", Str(demoted!["spec"]!["type"]));
        Assert.False((await Allocator.Snapshot()).ContainsKey(demotedIp));
    }

    [Fact]
    public async Task RepairFreesAnAddressWhoseServiceIsGoneAndTakesBackOneAServiceNames()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        await s.CreateAsync("services", LoadBalancer("kept"));
        var ip = IngressIp(await UntilAsync(s, "kept", svc => IngressIp(svc) is not null, "an address for kept"))!;

        // A holding nobody names (a finalizer removed by hand, say), and a holding the book lost.
        var leaked = await Allocator.Allocate(s.Ns + "/nobody", "uid-1", null);
        Assert.True(leaked.Succeeded);
        await Allocator.Release(s.Ns + "/kept", "");
        await Allocator.Repair();

        var snapshot = await Allocator.Snapshot();
        Assert.False(snapshot.ContainsKey(leaked.Address!));
        Assert.Equal(s.Ns + "/kept", snapshot[ip]);
    }
}
