using System.Net;
using System.Text.Json.Nodes;
using Grainetes.Tests.EndToEnd;
using Grainetes.Tests.Services;
using static Grainetes.Tests.Cloud.LoadBalancerProbes;

namespace Grainetes.Tests.Cloud;

/// <summary>
/// The local provider's data path: a client connecting to the service's balancer address and port reaches whatever
/// listens on 127.0.0.1 at the port's NodePort (here an echo server standing in for the host proxy).
/// </summary>
[Collection(LocalCloudCollection.Name)]
public sealed class LoadBalancerForwardingTests(LocalCloudClusterFixture fixture)
{
    [Fact]
    public async Task TheBalancerAddressForwardsToTheNodePortAcrossARestartUntilTheServiceIsDeleted()
    {
        var s = new ServiceObjects(() => fixture.Grains);
        await using var echo = EchoServer.StartInNodePortRange();
        await s.CreateAsync("services", LoadBalancer("echo", new JsonObject { ["name"] = "tcp", ["port"] = 7000, ["nodePort"] = echo.Port }));
        var ip = IPAddress.Parse(IngressIp(await UntilAsync(s, "echo", svc => IngressIp(svc) is not null, "an address for echo"))!);

        // The listener opens once the silo's forwarder has seen the status: retry until it answers.
        var answer = await Poll.UntilAsync(() => EchoServer.RoundTripAsync(ip, 7000, "hello through the balancer"), a => a is not null, ServiceObjects.Deadline, "an echo through the balancer");
        Assert.Equal("hello through the balancer", answer);

        // A second connection at once, and a big payload, both whole.
        var big = new string('x', 200_000);
        Assert.Equal(big, await EchoServer.RoundTripAsync(ip, 7000, big));

        // After every silo restarts, the listeners come back from the services alone.
        await fixture.RestartAsync();
        var again = await Poll.UntilAsync(() => EchoServer.RoundTripAsync(ip, 7000, "after the restart"), a => a is not null, ServiceObjects.Deadline, "an echo after the restart");
        Assert.Equal("after the restart", again);

        await s.DeleteAsync("services", "echo");
        await Poll.UntilAsync(() => EchoServer.RefusedAsync(ip, 7000), refused => refused, ServiceObjects.Deadline, "the balancer listener closed");
    }
}
