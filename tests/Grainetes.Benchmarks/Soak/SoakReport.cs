using System.Globalization;
using System.Text;

namespace Grainetes.Benchmarks.Soak;

/// <summary>What a soak measured and what its checks found.</summary>
public sealed record SoakReport(
    SoakSettings Settings,
    IReadOnlyDictionary<string, IReadOnlyList<double>> LatenciesMs,
    long Throttled,
    long Unavailable,
    long WatchReconnects,
    long EventsDelivered,
    IReadOnlyList<string> MissedEvents,
    IReadOnlyList<string> LostWrites,
    IReadOnlyList<string> Errors,
    IReadOnlyList<(double Seconds, double RssMiB)> Memory)
{
    public long Operations => LatenciesMs.Values.Sum(l => (long)l.Count);

    /// <summary>Least-squares slope of the host's RSS over the run's second half (after warm-up), in MiB per minute.</summary>
    public double? RssSlopeMiBPerMinute
    {
        get
        {
            var tail = Memory.Skip(Memory.Count / 2).ToList();
            if (tail.Count < 3)
            {
                return null;
            }

            var mx = tail.Average(s => s.Seconds);
            var my = tail.Average(s => s.RssMiB);
            var den = tail.Sum(s => (s.Seconds - mx) * (s.Seconds - mx));
            return den == 0 ? null : tail.Sum(s => (s.Seconds - mx) * (s.RssMiB - my)) / den * 60;
        }
    }

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    public string Format()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"soak: {Settings.Clients} clients, {Settings.Watches} watches, {Settings.Namespaces} namespaces, {Settings.Duration.TotalSeconds:F0} s");
        text.AppendLine(c, $"operations {Operations} ({Operations / Settings.Duration.TotalSeconds:F0}/s), 429s respected {Throttled}, writes answered 503 (storage slow, outcome unknown, object left out of the checks) {Unavailable}, watch events delivered {EventsDelivered}, watch reconnects {WatchReconnects}");
        text.AppendLine("| verb | count | p50 ms | p99 ms | max ms |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var (verb, latencies) in LatenciesMs.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var sorted = latencies.Order().ToList();
            text.AppendLine(c, $"| {verb} | {sorted.Count} | {Percentile(sorted, 0.5):F1} | {Percentile(sorted, 0.99):F1} | {(sorted.Count == 0 ? double.NaN : sorted[^1]):F1} |");
        }

        if (Memory.Count > 0)
        {
            text.AppendLine(c, $"host RSS: start {Memory[0].RssMiB:F0} MiB, peak {Memory.Max(m => m.RssMiB):F0} MiB, end {Memory[^1].RssMiB:F0} MiB, slope over the second half {RssSlopeMiBPerMinute?.ToString("F1", c) ?? "n/a"} MiB/min");
            text.AppendLine("host RSS by minute (mean / max MiB): " + string.Join(", ", Memory
                .GroupBy(m => (int)(m.Seconds / 60))
                .Select(g => string.Create(c, $"{g.Key}: {g.Average(m => m.RssMiB):F0}/{g.Max(m => m.RssMiB):F0}"))));
        }

        text.AppendLine(c, $"missed watch events {MissedEvents.Count}, lost acknowledged writes {LostWrites.Count}, errors {Errors.Count}");
        foreach (var line in MissedEvents.Concat(LostWrites).Concat(Errors).Take(20))
        {
            text.AppendLine("  " + line);
        }

        return text.ToString();
    }
}
