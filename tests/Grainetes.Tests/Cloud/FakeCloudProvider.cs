using System.Collections.Concurrent;
using Grainetes.Grains.Cloud;
using k8s.Models;

namespace Grainetes.Tests.Cloud;

/// <summary>
/// A cloud that hands out host names rather than addresses and remembers every call, so a test can see that the
/// controller drives whichever provider is configured and writes whatever status it answers.
/// </summary>
public sealed class FakeCloudProvider : ICloudProvider
{
    public const string Name = "fake";

    private readonly ConcurrentDictionary<string, string> balancers = new(StringComparer.Ordinal);

    /// <summary>Every call, in order, as <c>Verb namespace/name</c>.</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    public static string HostnameOf(string ns, string name) => $"{name}.{ns}.lb.fake.invalid";

    public Task<LoadBalancerLookup> GetLoadBalancerAsync(V1Service service, CancellationToken cancellationToken) =>
        Task.FromResult(balancers.TryGetValue(Key(service), out var host) ? new LoadBalancerLookup(true, Status(host)) : LoadBalancerLookup.Missing);

    public Task<V1LoadBalancerStatus> EnsureLoadBalancerAsync(V1Service service, IReadOnlyList<V1Node> nodes, CancellationToken cancellationToken)
    {
        Calls.Enqueue("Ensure " + Key(service));
        var host = balancers.GetOrAdd(Key(service), _ => HostnameOf(service.Metadata.NamespaceProperty, service.Metadata.Name));
        return Task.FromResult(Status(host));
    }

    public Task UpdateLoadBalancerAsync(V1Service service, IReadOnlyList<V1Node> nodes, CancellationToken cancellationToken)
    {
        Calls.Enqueue("Update " + Key(service));
        return Task.CompletedTask;
    }

    public Task EnsureLoadBalancerDeletedAsync(V1Service service, CancellationToken cancellationToken)
    {
        Calls.Enqueue("Delete " + Key(service));
        balancers.TryRemove(Key(service), out _);
        return Task.CompletedTask;
    }

    private static string Key(V1Service service) => service.Metadata.NamespaceProperty + "/" + service.Metadata.Name;

    private static V1LoadBalancerStatus Status(string host) => new() { Ingress = [new V1LoadBalancerIngress { Hostname = host }] };
}
