using System.Diagnostics;

namespace Grainetes.Benchmarks;

/// <summary>Per-operation latencies of one phase and its wall-clock time; percentiles by nearest rank.</summary>
public sealed class Measurement
{
    private readonly double[] _sortedMs;

    public Measurement(string name, IReadOnlyCollection<long> latencyTicks, TimeSpan elapsed, CpuUse? cpu = null)
    {
        Name = name;
        Elapsed = elapsed;
        Cpu = cpu;
        _sortedMs = latencyTicks.Select(t => t * 1000.0 / Stopwatch.Frequency).Order().ToArray();
    }

    public string Name { get; }

    public TimeSpan Elapsed { get; }

    public int Count => _sortedMs.Length;

    /// <summary>CPU the host and Azurite spent during the phase, when sampled.</summary>
    public CpuUse? Cpu { get; }

    public double HostCpuMsPerOp => Cpu is { } c && Count > 0 ? c.HostSeconds * 1000 / Count : double.NaN;

    public double AzuriteCpuMsPerOp => Cpu is { } c && Count > 0 ? c.AzuriteSeconds * 1000 / Count : double.NaN;

    public double OpsPerSecond => Elapsed > TimeSpan.Zero ? Count / Elapsed.TotalSeconds : 0;

    public double P50 => Percentile(0.50);

    public double P90 => Percentile(0.90);

    public double P99 => Percentile(0.99);

    public double Max => _sortedMs.Length == 0 ? double.NaN : _sortedMs[^1];

    public double Percentile(double fraction)
    {
        if (_sortedMs.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(fraction * _sortedMs.Length);
        return _sortedMs[Math.Clamp(rank - 1, 0, _sortedMs.Length - 1)];
    }
}
