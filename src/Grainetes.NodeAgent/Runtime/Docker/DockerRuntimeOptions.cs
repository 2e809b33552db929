namespace Grainetes.NodeAgent.Runtime.Docker;

/// <summary>Settings of the Docker Engine runtime. Bound from the <c>DockerRuntime</c> section.</summary>
public sealed class DockerRuntimeOptions
{
    public const string SectionName = "DockerRuntime";

    /// <summary>The Engine API endpoint: <c>unix:///var/run/docker.sock</c> or <c>tcp://host:2375</c>.</summary>
    public string Endpoint { get; set; } = "unix:///var/run/docker.sock";

    /// <summary>
    /// The Docker network pod sandboxes join (their IP there is the pod IP). Grainetes creates it, when missing, as a
    /// bridge with <see cref="Subnet"/>; naming an existing network (Docker's own <c>bridge</c>) uses it as it is.
    /// </summary>
    public string Network { get; set; } = "grainetes0";

    /// <summary>The subnet of the network Grainetes creates: the node's <c>spec.podCIDR</c>.</summary>
    public string Subnet { get; set; } = "10.244.0.0/16";

    /// <summary>
    /// The part of <see cref="Subnet"/> pods get addresses from. It leaves out the top of the subnet, where the service
    /// range (<c>ServiceNetwork:ServiceCidr</c>, 10.244.240.0/20) lives, so a pod never takes a cluster IP.
    /// </summary>
    public string IPRange { get; set; } = "10.244.0.0/17";

    /// <summary>The bridge's (host's) address on the network, the pods' default gateway.</summary>
    public string Gateway { get; set; } = "10.244.0.1";

    /// <summary>
    /// This node agent's identity on the daemon (label <c>io.grainetes.owner</c>): it lists, adopts and cleans up
    /// only containers with it. Empty means every Grainetes container on the daemon is its own.
    /// </summary>
    public string Owner { get; set; } = "";

    /// <summary>The image of the container that holds each pod's network namespace; built locally when missing.</summary>
    public string PauseImage { get; set; } = "grainetes/pause:1";

    /// <summary>A static busybox binary (Debian's <c>busybox-static</c>), the only file of the locally built pause image.</summary>
    public string BusyboxPath { get; set; } = "/bin/busybox";

    /// <summary>Where the host directories of emptyDir volumes live; null or empty means <c>$HOME/.grainetes/docker-volumes</c>.</summary>
    public string? VolumeRoot { get; set; }

    /// <summary>Upper bound of one Engine API call (create, start, inspect, list, remove, ...).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound of an image pull; a failed or slow pull surfaces as <see cref="ImagePullException"/>.</summary>
    public TimeSpan PullTimeout { get; set; } = TimeSpan.FromMinutes(2);

    internal string ResolveVolumeRoot()
    {
        if (!string.IsNullOrWhiteSpace(VolumeRoot))
        {
            return Path.GetFullPath(VolumeRoot);
        }

        var home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home))
        {
            home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        return Path.Combine(home, ".grainetes", "docker-volumes");
    }
}
