using System.Collections.Concurrent;
using System.Diagnostics;

namespace Grainetes.Benchmarks;

/// <summary>
/// Runs an operation a fixed number of times, sequentially or from N closed-loop workers, timing each call.
/// Every run is bounded in count and by a deadline, so a stuck server fails the phase instead of hanging the harness.
/// </summary>
public static class LoadRunner
{
    public static readonly TimeSpan PhaseTimeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Reads the CPU time of the processes under test; set once before any phase runs. CPU per operation shows how
    /// much of Azurite's single core each API call costs, which is what bounds throughput on this machine.
    /// </summary>
    public static Func<CpuUse>? CpuSampler { get; set; }

    public static Task<Measurement> SequentialAsync(string name, int count, Func<int, CancellationToken, Task> operation) =>
        ConcurrentAsync(name, count, 1, operation);

    public static async Task<Measurement> ConcurrentAsync(
        string name, int count, int concurrency, Func<int, CancellationToken, Task> operation)
    {
        using var deadline = new CancellationTokenSource(PhaseTimeout);
        var latencies = new ConcurrentQueue<long>();
        var next = -1;
        var cpuBefore = CpuSampler?.Invoke();
        var wall = Stopwatch.StartNew();

        async Task WorkerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                deadline.Token.ThrowIfCancellationRequested();
                var start = Stopwatch.GetTimestamp();
                await operation(i, deadline.Token).ConfigureAwait(false);
                latencies.Enqueue(Stopwatch.GetTimestamp() - start);
            }
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, Math.Max(1, concurrency)).Select(_ => Task.Run(WorkerAsync)))
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"phase '{name}' did not finish {count} operations within {PhaseTimeout.TotalSeconds} s");
        }

        wall.Stop();
        var cpu = cpuBefore is null ? null : CpuSampler!.Invoke() - cpuBefore;
        return new Measurement(name, latencies, wall.Elapsed, cpu);
    }
}
