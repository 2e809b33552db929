namespace Grainetes.NodeAgent.Runtime.Docker;

/// <summary>The labels that tie a Docker container to its pod and container, so a restarted silo finds what it runs.</summary>
internal static class DockerLabels
{
    public const string Managed = "io.grainetes.managed";

    /// <summary>Which node agent made the container, so agents sharing one daemon never touch each other's.</summary>
    public const string Owner = "io.grainetes.owner";
    public const string Sandbox = "io.grainetes.sandbox";
    public const string PodUid = "io.grainetes.pod.uid";
    public const string PodName = "io.grainetes.pod.name";
    public const string PodNamespace = "io.grainetes.pod.namespace";
    public const string ContainerName = "io.grainetes.container.name";
    public const string ContainerAttempt = "io.grainetes.container.attempt";
    public const string ContainerInit = "io.grainetes.container.init";
}
