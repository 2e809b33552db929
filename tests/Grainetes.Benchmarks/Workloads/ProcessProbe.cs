using System.Globalization;
using System.Text.Json.Nodes;

namespace Grainetes.Benchmarks.Workloads;

/// <summary>
/// The process runtime's containers: directories under its root (<c>containers/&lt;id&gt;/container.json</c>) and the
/// processes whose working directory lies under that root (each container's launcher and its process group).
/// </summary>
public sealed class ProcessProbe(string runtimeRoot) : IRuntimeProbe
{
    public Task<int> CountAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                continue;
            }

            try
            {
                if ((new FileInfo(Path.Combine(dir, "cwd")).LinkTarget ?? "").StartsWith(runtimeRoot, StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile, or not ours.
            }
        }

        return Task.FromResult(count);
    }

    public Task KillAppContainerAsync(string pod, CancellationToken cancellationToken)
    {
        var containers = Path.Combine(runtimeRoot, "containers");
        var latest = Directory.EnumerateDirectories(containers)
            .Select(d => Path.Combine(d, "container.json"))
            .Where(File.Exists)
            .Select(f => JsonNode.Parse(File.ReadAllText(f))!)
            .Where(r => (string?)r["PodName"] == pod && (string?)r["ContainerName"] == "main" && r["Pid"] is not null)
            .MaxBy(r => (int?)r["Attempt"] ?? 0)
            ?? throw new InvalidOperationException($"no started app container of {pod} under {containers}");
        var pid = (int)latest["Pid"]!;
        if (!Signals.KillGroup(pid))
        {
            throw new InvalidOperationException($"could not kill process group {pid} of {pod}");
        }

        return Task.CompletedTask;
    }
}
