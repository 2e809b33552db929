namespace Grainetes.Machinery.Scheduling;

/// <summary>A port a pod takes on its node's network: protocol, host address (<c>0.0.0.0</c> for all) and port.</summary>
public readonly record struct PodPort(string Protocol, string HostIP, int Port)
{
    public const string AnyAddress = "0.0.0.0";

    /// <summary>Kubernetes' rule: the same protocol and port on the same address, or on any address when either side binds all.</summary>
    public bool ConflictsWith(PodPort other) =>
        Port == other.Port && Protocol == other.Protocol && (HostIP == other.HostIP || HostIP == AnyAddress || other.HostIP == AnyAddress);
}
