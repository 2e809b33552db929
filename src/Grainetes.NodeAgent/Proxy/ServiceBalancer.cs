using System.Net;

namespace Grainetes.NodeAgent.Proxy;

/// <summary>
/// Picks the endpoint for each new connection to one service port: round-robin over the ready endpoints, or, with
/// <c>sessionAffinity: ClientIP</c>, the endpoint a client last used while it exists and the affinity has not
/// timed out since the client's last connection. Thread-safe: connections arrive on any thread while the rules change.
/// </summary>
public sealed class ServiceBalancer(TimeProvider time)
{
    private readonly Lock gate = new();
    private readonly Dictionary<IPAddress, Affinity> affinities = [];
    private IReadOnlyList<Backend> backends = [];
    private TimeSpan? affinityTimeout;
    private int next;

    public IReadOnlyList<Backend> Backends
    {
        get
        {
            lock (gate)
            {
                return backends;
            }
        }
    }

    /// <summary>Takes new endpoints (and affinity); clients stuck to an endpoint that is gone will pick again.</summary>
    public void Update(IReadOnlyList<Backend> ready, TimeSpan? affinity)
    {
        lock (gate)
        {
            if (!backends.SequenceEqual(ready))
            {
                backends = ready;
                next = ready.Count == 0 ? 0 : next % ready.Count;
                var present = ready.ToHashSet();
                foreach (var (client, stuck) in affinities.ToList())
                {
                    if (!present.Contains(stuck.Backend))
                    {
                        affinities.Remove(client);
                    }
                }
            }

            if (affinity != affinityTimeout)
            {
                affinityTimeout = affinity;
                affinities.Clear();
            }
        }
    }

    /// <summary>The endpoint for a new connection from <paramref name="client"/>; null when the service has none ready.</summary>
    public Backend? Pick(IPAddress client) => Pick(client, except: null);

    /// <summary>As <see cref="Pick(IPAddress)"/>, avoiding <paramref name="except"/> (an endpoint that just refused) when another exists.</summary>
    public Backend? Pick(IPAddress client, Backend? except)
    {
        lock (gate)
        {
            if (backends.Count == 0)
            {
                return null;
            }

            var now = time.GetUtcNow();
            if (affinityTimeout is { } timeout && except is null
                && affinities.TryGetValue(client, out var stuck) && now - stuck.LastUsed <= timeout)
            {
                affinities[client] = stuck with { LastUsed = now };
                return stuck.Backend;
            }

            var chosen = backends[next];
            next = (next + 1) % backends.Count;
            if (chosen == except && backends.Count > 1)
            {
                chosen = backends[next];
                next = (next + 1) % backends.Count;
            }

            if (affinityTimeout is not null)
            {
                affinities[client] = new Affinity(chosen, now);
            }

            return chosen;
        }
    }

    private readonly record struct Affinity(Backend Backend, DateTimeOffset LastUsed);
}
