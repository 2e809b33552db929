using System.Globalization;

namespace Grainetes.Benchmarks.Workloads;

/// <summary>CPU time of the Docker daemons (dockerd, containerd), which do a container runtime's work beside the host.</summary>
public static class DockerDaemons
{
    private static readonly string[] Names = ["dockerd", "containerd"];

    public static double CpuSeconds()
    {
        var total = 0.0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                if (Names.Contains(File.ReadAllText(Path.Combine(dir, "comm")).Trim()))
                {
                    total += ProcessMemory.CpuSeconds(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Exited meanwhile.
            }
        }

        return total;
    }
}
