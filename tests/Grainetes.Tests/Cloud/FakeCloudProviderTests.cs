using System.Text.Json.Nodes;
using Grainetes.Abstractions.Cloud;
using Grainetes.Abstractions.Store;
using Grainetes.Tests.EndToEnd;
using Grainetes.Tests.Services;
using static Grainetes.Tests.Cloud.LoadBalancerProbes;

namespace Grainetes.Tests.Cloud;

/// <summary>A provider registered by name only, chosen by <c>Cloud:Provider</c>: the controller drives it like the local one.</summary>
public sealed class FakeCloudProviderTests(FakeCloudClusterFixture fixture) : IClassFixture<FakeCloudClusterFixture>
{
    [Fact]
    public async Task TheControllerDrivesTheConfiguredProviderAndWritesWhatItAnswers()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        await s.CreateAsync("services", LoadBalancer("web"));
        var svc = await UntilAsync(s, "web", svc => IngressHostname(svc) is not null, "the fake balancer's host name");
        Assert.Equal(FakeCloudProvider.HostnameOf(s.Ns, "web"), IngressHostname(svc));
        Assert.True(HasFinalizer(svc));
        Assert.Contains("Ensure " + s.Ns + "/web", fixture.Fake.Calls);

        // The local provider was not asked: its book holds nothing for the service.
        var book = await fixture.Grains.GetGrain<ILoadBalancerIpAllocatorGrain>("default").Snapshot();
        Assert.DoesNotContain(s.Ns + "/web", book.Values);

        // A node joining changes the balancer's hosts: the provider is told.
        var node = "lb-node-" + Guid.NewGuid().ToString("N")[..6];
        await fixture.Grains.GetGrain<IObjectGrain>(new ObjectKey("nodes", "", node).GrainKey)
            .Create(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = node } }.ToJsonString(), WriteOptions.Default);
        await Poll.UntilAsync(() => Task.FromResult(fixture.Fake.Calls.Contains("Update " + s.Ns + "/web")), found => found, ServiceObjects.Deadline, "UpdateLoadBalancer after a node joined");
        await UntilEventAsync(s, "web", "UpdatedLoadBalancer");

        await s.DeleteAsync("services", "web");
        await UntilAsync(s, "web", svc => svc is null, "the service gone after its balancer");
        Assert.Contains("Delete " + s.Ns + "/web", fixture.Fake.Calls);
    }
}
