using System.Globalization;
using Grainetes.Abstractions.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Grainetes.Host.Telemetry;

/// <summary>
/// OpenTelemetry for a silo: traces (API requests, Grainetes' own spans, Orleans' grain calls), metrics (Grainetes,
/// Orleans, ASP.NET Core, the .NET runtime) and logs. By default everything goes to the console (<c>--otel-console</c>,
/// on unless turned off), over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, and metrics are always served in
/// Prometheus' format on <c>/metrics</c>.
/// </summary>
/// <remarks>
/// The console must stay readable: only traces that begin with an API request are kept (<see cref="ApiRootSampler"/>),
/// spans are written in batches off the request path, metrics are printed once per export interval
/// (<c>OTEL_METRIC_EXPORT_INTERVAL</c>, 60 s by default) and only Grainetes' own instruments, and each log record is one
/// line of the console formatter (the OpenTelemetry console log exporter prints a dozen lines per record, so with the
/// console on it is the simple formatter that prints, while OpenTelemetry carries the same records, with their trace
/// and span ids, over OTLP). Orleans' own spans go to OTLP, not to the console (<see cref="ConsoleSpanFilter"/>).
/// </remarks>
public static class TelemetryExtensions
{
    public const string ServiceName = "grainetes";

    public const string MetricsPath = "/metrics";

    private const int DefaultMetricIntervalMilliseconds = 60_000;

    public static WebApplicationBuilder AddGrainetesTelemetry(this WebApplicationBuilder builder, bool console, string instanceId, TelemetryExporters? extra = null)
    {
        var otlp = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        builder.Services.AddGrainetesInstruments();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceInstanceId: instanceId));

        // Spans nobody exports still cost every request an allocation and a listener call: trace only when there is
        // somewhere to send them. Metrics are aggregated in place and always on, for /metrics.
        if (console || otlp || extra?.Tracing is not null)
        {
            telemetry.WithTracing(tracing =>
            {
                tracing.SetSampler(new ParentBasedSampler(new ApiRootSampler()))
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsScrapeOrProbe(context.Request.Path))
                    .AddSource("Microsoft.Orleans.*")
                    .AddSource(GrainetesTelemetry.SourceName);
                if (console)
                {
                    tracing.AddProcessor(new ConsoleSpanFilter(
                        new BatchActivityExportProcessor(new ConsoleActivityExporter(new ConsoleExporterOptions())),
                        "Microsoft.AspNetCore",
                        GrainetesTelemetry.SourceName));
                }

                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }

                extra?.Tracing?.Invoke(tracing);
            });
        }

        telemetry.WithMetrics(metrics =>
        {
            metrics.AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter("Microsoft.Orleans")
                .AddMeter(GrainetesTelemetry.SourceName)
                .AddPrometheusExporter();
            if (console)
            {
                metrics.AddReader(new PeriodicExportingMetricReader(
                    new MeterFilteringExporter(new ConsoleMetricExporter(new ConsoleExporterOptions()), GrainetesTelemetry.SourceName),
                    MetricIntervalMilliseconds()));
            }

            if (otlp)
            {
                metrics.AddOtlpExporter();
            }

            extra?.Metrics?.Invoke(metrics);
        });

        if (otlp)
        {
            builder.Logging.AddOpenTelemetry(logging =>
            {
                logging.IncludeFormattedMessage = true;
                logging.IncludeScopes = true;
                logging.AddOtlpExporter();
            });
        }

        return builder;
    }

    /// <summary>Serves every metric (Grainetes', Orleans', ASP.NET Core's, the runtime's) in Prometheus' text format.</summary>
    public static WebApplication MapGrainetesMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }

    /// <summary>Scrapes and health probes arrive every few seconds and say nothing worth a trace.</summary>
    private static bool IsScrapeOrProbe(PathString path) =>
        path.StartsWithSegments(MetricsPath) || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/livez") || path.StartsWithSegments("/readyz");

    private static int MetricIntervalMilliseconds() =>
        int.TryParse(Environment.GetEnvironmentVariable("OTEL_METRIC_EXPORT_INTERVAL"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? ms
            : DefaultMetricIntervalMilliseconds;
}
