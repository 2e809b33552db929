namespace Grainetes.NodeAgent.Runtime;

/// <summary>A container port and, when set, the host port it is published on.</summary>
public sealed record PortMapping(int ContainerPort, int? HostPort, string Protocol, string? HostIP = null);
