using Grainetes.Benchmarks.Startup;

namespace Grainetes.Benchmarks.Workloads;

/// <summary>The Docker daemon through the CLI, filtered on the labels the node agent puts on every container of a pod.</summary>
public sealed class DockerProbe(string ns) : IRuntimeProbe
{
    public async Task<int> CountAsync(CancellationToken cancellationToken) =>
        Lines(await PodStartupBenchmark.DockerAsync(["ps", "-aq", "--filter", "label=io.grainetes.pod.namespace=" + ns]).ConfigureAwait(false)).Length;

    public async Task KillAppContainerAsync(string pod, CancellationToken cancellationToken)
    {
        var ids = Lines(await PodStartupBenchmark.DockerAsync(
        [
            "ps", "-q",
            "--filter", "label=io.grainetes.pod.namespace=" + ns,
            "--filter", "label=io.grainetes.pod.name=" + pod,
            "--filter", "label=io.grainetes.container.name=main",
        ]).ConfigureAwait(false));
        if (ids.Length != 1)
        {
            throw new InvalidOperationException($"expected one running app container of {pod}, found {ids.Length}");
        }

        await PodStartupBenchmark.DockerAsync(["kill", ids[0]]).ConfigureAwait(false);
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
