namespace Grainetes.NodeAgent.Proxy;

/// <summary>
/// What the proxy does for one port of one service: the addresses it listens on (the cluster IP and port, and the
/// node port on every host address) and the ready endpoints it balances over.
/// </summary>
/// <param name="Key"><c>namespace/name:port</c>, the identity of the port's balancer.</param>
/// <param name="ClusterIP">The service's cluster IP; null for a headless service.</param>
/// <param name="NodePort">The node port; 0 when the service has none.</param>
/// <param name="AffinityTimeout">How long a client stays with its endpoint (<c>sessionAffinity: ClientIP</c>); null without affinity.</param>
public sealed record ServicePortRule(
    string Key,
    string Protocol,
    string? ClusterIP,
    int Port,
    int NodePort,
    TimeSpan? AffinityTimeout,
    IReadOnlyList<Backend> Backends);
