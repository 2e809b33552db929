using System.Diagnostics;
using OpenTelemetry;

namespace Grainetes.Host.Telemetry;

/// <summary>
/// Hands only the spans of the named sources to the console's processor: the HTTP requests and Grainetes' own spans
/// tell what a request did, while Orleans' grain calls, placements and activations would multiply every apply's
/// trace by ten on a terminal. OTLP and in-memory exporters get every span.
/// </summary>
internal sealed class ConsoleSpanFilter(BaseProcessor<Activity> inner, params string[] sources) : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        if (sources.Contains(data.Source.Name, StringComparer.Ordinal))
        {
            inner.OnEnd(data);
        }
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
