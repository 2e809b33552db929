namespace Grainetes.Benchmarks.Workloads;

/// <summary>What the benchmark sees of a container runtime directly, beside the API: what is still running, and a kill.</summary>
public interface IRuntimeProbe
{
    /// <summary>Containers (Docker, sandboxes included) or processes (process runtime) of the benchmark's pods that still exist.</summary>
    Task<int> CountAsync(CancellationToken cancellationToken);

    /// <summary>Kills the pod's app container behind the node agent's back (SIGKILL), as a crash would.</summary>
    Task KillAppContainerAsync(string pod, CancellationToken cancellationToken);
}
