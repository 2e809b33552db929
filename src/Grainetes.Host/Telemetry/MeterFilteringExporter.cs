using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Grainetes.Host.Telemetry;

/// <summary>
/// Passes on only the metrics of the named meters: the console shows Grainetes' own instruments, while
/// <c>/metrics</c> and OTLP get everything (Orleans, ASP.NET Core and the runtime add hundreds of series).
/// </summary>
internal sealed class MeterFilteringExporter(BaseExporter<Metric> inner, params string[] meters) : BaseExporter<Metric>
{
    public override ExportResult Export(in Batch<Metric> batch)
    {
        var kept = new List<Metric>();
        foreach (var metric in batch)
        {
            if (meters.Contains(metric.MeterName, StringComparer.Ordinal))
            {
                kept.Add(metric);
            }
        }

        return kept.Count == 0 ? ExportResult.Success : inner.Export(new Batch<Metric>(kept.ToArray(), kept.Count));
    }

    protected override bool OnForceFlush(int timeoutMilliseconds) => inner.ForceFlush(timeoutMilliseconds);

    protected override bool OnShutdown(int timeoutMilliseconds) => inner.Shutdown(timeoutMilliseconds);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
