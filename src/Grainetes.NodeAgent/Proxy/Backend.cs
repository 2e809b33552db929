namespace Grainetes.NodeAgent.Proxy;

/// <summary>One ready endpoint of a service port: the pod's address and port, and the node it runs on (when known).</summary>
public sealed record Backend(string Address, int Port, string? NodeName)
{
    public override string ToString() => $"{Address}:{Port}";
}
