using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Grainetes.Host.Telemetry;

/// <summary>
/// Exporters added beside the console, OTLP and Prometheus ones, for whoever hosts a silo in-process (tests export to
/// memory). Traces are collected whenever some exporter wants them.
/// </summary>
public sealed record TelemetryExporters(Action<TracerProviderBuilder>? Tracing = null, Action<MeterProviderBuilder>? Metrics = null);
