namespace Grainetes.NodeAgent.Runtime;

/// <summary>
/// What the node agent needs from a container runtime. Implementations: Docker Engine (Docker.DotNet)
/// and plain host processes. Every call is short (no waiting for a container to finish); the agent
/// polls <see cref="InspectAsync"/> and <see cref="ListAsync"/> to follow containers.
/// </summary>
public interface IContainerRuntime
{
    /// <summary><c>docker</c> or <c>process</c>.</summary>
    string Name { get; }

    /// <summary>For the node's <c>containerRuntimeVersion</c>, for example <c>docker://20.10.24</c>.</summary>
    Task<string> VersionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Creates, when missing, the network this host's pods join and says what it is. Idempotent; called at start,
    /// before any sandbox. A runtime whose pods share the host's network keeps this default.
    /// </summary>
    Task<PodNetwork> PrepareNetworkAsync(CancellationToken cancellationToken) => Task.FromResult(PodNetwork.Host);

    /// <summary>
    /// Creates (or finds, after a silo restart) the pod's sandbox: its network identity (IP) and the
    /// host directories of its <c>emptyDir</c> volumes. Idempotent per pod uid.
    /// </summary>
    Task<PodSandbox> EnsureSandboxAsync(PodSandboxSpec spec, CancellationToken cancellationToken);

    /// <summary>Removes the sandbox and its volumes once all the pod's containers are gone. Idempotent.</summary>
    Task RemoveSandboxAsync(string podUid, CancellationToken cancellationToken);

    /// <summary>Makes the image available (pulls when missing). Throws <see cref="ImagePullException"/> when it cannot.</summary>
    Task EnsureImageAsync(string image, CancellationToken cancellationToken);

    /// <summary>Creates a container in a sandbox, not started; returns its runtime id.</summary>
    Task<string> CreateContainerAsync(PodSandbox sandbox, ContainerSpec spec, CancellationToken cancellationToken);

    Task StartContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>SIGTERM, then SIGKILL after <paramref name="gracePeriod"/>; returns when it has stopped.</summary>
    Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken);

    Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>The container's current state, or null when the runtime no longer knows it.</summary>
    Task<ContainerState?> InspectAsync(string containerId, CancellationToken cancellationToken);

    /// <summary>Every container this runtime runs for Grainetes on this host (found by their labels), for adoption and clean-up.</summary>
    Task<IReadOnlyList<ContainerState>> ListAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The containers of one pod, as <see cref="ListAsync"/> shows them. A runtime that can filter by pod overrides
    /// this: pod workers call it when they adopt and when they finish, so its cost must not grow with the node's pods.
    /// </summary>
    async Task<IReadOnlyList<ContainerState>> ListPodAsync(string podUid, CancellationToken cancellationToken) =>
        (await ListAsync(cancellationToken).ConfigureAwait(false)).Where(c => c.PodUid == podUid).ToList();

    /// <summary>Runs a command in a running container (exec probes); returns exit code and output.</summary>
    Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>The container's log (stdout and stderr interleaved), optionally the last lines only and following.</summary>
    IAsyncEnumerable<string> ReadLogsAsync(string containerId, LogOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Cumulative cpu time and memory working set of the given running containers, for the Metrics API and the
    /// autoscaler. Containers it cannot read (gone, not running) are left out; one call reads them all, so a
    /// runtime can share the work (one <c>/proc</c> scan, concurrent Docker stats calls).
    /// </summary>
    Task<IReadOnlyList<ContainerUsageSample>> SampleUsageAsync(IReadOnlyCollection<string> containerIds, CancellationToken cancellationToken);
}
