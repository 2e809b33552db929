using Grainetes.Benchmarks.Startup;

namespace Grainetes.Benchmarks.Workloads;

/// <summary>
/// Issue 5's speed measurements: a Deployment scaled 1 -> 20 -> 50 -> 0, killed containers and deleted pods healed,
/// a rolling update of 10, and (process runtime) 0 -> 100, each on a fresh cluster per runtime.
/// </summary>
public static class WorkloadBenchmark
{
    public static async Task<int> RunAsync(IReadOnlyList<string> runtimes, WorkloadSettings settings)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var lines = new List<string>();
        var failures = 0;
        var docker = await PodStartupBenchmark.DockerAnswersAsync().ConfigureAwait(false);
        foreach (var runtime in runtimes)
        {
            if (runtime == "docker" && !docker)
            {
                lines.Add("--runtime docker: skipped, no Docker daemon");
                continue;
            }

            try
            {
                lines.Add(await WorkloadRun.RunAsync(runtime, run, settings).ConfigureAwait(false));
            }
            catch (Exception e)
            {
                failures++;
                Console.Error.WriteLine($"--runtime {runtime} failed: {e}");
                lines.Add($"--runtime {runtime}: FAILED ({e.Message})");
            }
        }

        Console.WriteLine();
        Console.WriteLine($"Workloads, {DateTime.Now:yyyy-MM-dd HH:mm}, {Environment.ProcessorCount} cores, load average {Scheduling.SchedulerEndToEndBenchmark.LoadAverage()}");
        foreach (var line in lines)
        {
            Console.WriteLine(line);
        }

        return failures == 0 ? 0 : 1;
    }
}
