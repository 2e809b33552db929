namespace Grainetes.NodeAgent.Runtime;

/// <summary>The lifecycle states a runtime reports.</summary>
public enum ContainerStatus
{
    Created,
    Running,
    Exited,
}
