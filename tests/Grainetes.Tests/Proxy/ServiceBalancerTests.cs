using System.Net;
using Grainetes.NodeAgent.Proxy;
using Microsoft.Extensions.Time.Testing;

namespace Grainetes.Tests.Proxy;

public sealed class ServiceBalancerTests
{
    private static readonly Backend A = new("10.244.0.2", 8080, "n1");
    private static readonly Backend B = new("10.244.0.3", 8080, "n1");
    private static readonly Backend C = new("10.244.0.4", 8080, "n1");
    private static readonly IPAddress Client = IPAddress.Parse("10.244.0.9");

    [Fact]
    public void RoundRobinVisitsEveryEndpointInTurn()
    {
        var balancer = new ServiceBalancer(new FakeTimeProvider());
        balancer.Update([A, B, C], affinity: null);

        var picks = Enumerable.Range(0, 6).Select(_ => balancer.Pick(Client)).ToList();

        Assert.Equal([A, B, C, A, B, C], picks);
    }

    [Fact]
    public void NoEndpointsPicksNothing()
    {
        var balancer = new ServiceBalancer(new FakeTimeProvider());
        balancer.Update([A], affinity: null);
        balancer.Update([], affinity: null);

        Assert.Null(balancer.Pick(Client));
    }

    [Fact]
    public void ClientIPAffinitySticksUntilItTimesOut()
    {
        var time = new FakeTimeProvider();
        var balancer = new ServiceBalancer(time);
        balancer.Update([A, B, C], TimeSpan.FromSeconds(30));

        var first = balancer.Pick(Client);
        var other = balancer.Pick(IPAddress.Parse("10.244.0.10"));
        time.Advance(TimeSpan.FromSeconds(20));
        var again = balancer.Pick(Client);
        time.Advance(TimeSpan.FromSeconds(20));
        var stillSticky = balancer.Pick(Client);

        Assert.NotEqual(first, other);
        Assert.Equal(first, again);
        Assert.Equal(first, stillSticky);

        // Idle longer than the timeout: the client is balanced afresh.
        time.Advance(TimeSpan.FromSeconds(31));
        var afterTimeout = balancer.Pick(Client);
        Assert.NotEqual(first, afterTimeout);
    }

    [Fact]
    public void AffinityToAnEndpointThatLeftIsDropped()
    {
        var balancer = new ServiceBalancer(new FakeTimeProvider());
        balancer.Update([A, B], TimeSpan.FromMinutes(5));
        var first = balancer.Pick(Client)!;

        balancer.Update(new[] { A, B }.Where(b => b != first).ToList(), TimeSpan.FromMinutes(5));

        var next = balancer.Pick(Client);
        Assert.NotNull(next);
        Assert.NotEqual(first, next);
        Assert.Equal(next, balancer.Pick(Client));
    }

    [Fact]
    public void AnEndpointThatRefusedIsAvoidedWhenAnotherExists()
    {
        var balancer = new ServiceBalancer(new FakeTimeProvider());
        balancer.Update([A, B], affinity: null);

        Assert.Equal(B, balancer.Pick(Client, except: A));
        Assert.Equal(B, balancer.Pick(Client, except: A));
    }

    [Fact]
    public void UnchangedEndpointsKeepTheRotation()
    {
        var balancer = new ServiceBalancer(new FakeTimeProvider());
        balancer.Update([A, B, C], affinity: null);
        balancer.Pick(Client);
        balancer.Update([new Backend("10.244.0.2", 8080, "n1"), B, C], affinity: null);

        Assert.Equal(B, balancer.Pick(Client));
    }
}
