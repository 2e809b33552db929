using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Grainetes.Abstractions.Telemetry;

/// <summary>
/// Grainetes' own spans and instruments: one per silo (or test host), from DI, so nothing is static. The meter
/// comes from <see cref="IMeterFactory"/>; the spans' source is named <see cref="SourceName"/> like the meter, so an
/// OpenTelemetry provider subscribes to both by that one name. With no listener attached every span start returns
/// null and every measurement is a no-op.
/// </summary>
public sealed class GrainetesTelemetry : IDisposable
{
    public const string SourceName = "Grainetes";

    private static readonly double[] RequestBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
    private static readonly double[] StartupBuckets = [0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 60, 120, 300];

    private readonly Meter meter;
    private readonly Histogram<double> apiRequestDuration;
    private readonly UpDownCounter<long> apiWatches;
    private readonly Counter<long> schedulerAttempts;
    private readonly Histogram<double> schedulerAttemptDuration;
    private readonly Histogram<double> podSchedulingDuration;
    private readonly Histogram<double> podStartupDuration;
    private readonly Histogram<double> reconcileDuration;
    private readonly Counter<long> reconcileErrors;
    private readonly Counter<long> reminderTicks;
    private readonly Counter<long> runtimeOperations;
    private readonly Histogram<double> runtimeOperationDuration;
    private readonly Counter<long> containerRestarts;
    private readonly UpDownCounter<long> nodePods;

    public GrainetesTelemetry(IMeterFactory meters, ObjectCounts objectCounts)
    {
        Source = new ActivitySource(SourceName);
        meter = meters.Create(SourceName);
        apiRequestDuration = Seconds(MetricNames.ApiRequestDuration, "API requests by verb, resource, subresource and HTTP status code", RequestBuckets);
        apiWatches = meter.CreateUpDownCounter<long>(MetricNames.ApiWatches, "{watch}", "Watches being served, by resource");
        meter.CreateObservableGauge(
            MetricNames.StoreObjects,
            () => objectCounts.Snapshot().Select(c => new Measurement<long>(c.Value, new KeyValuePair<string, object?>("kind", c.Key))),
            "{object}",
            "Objects stored, by kind (each kind reported by the silo holding its collection)");
        schedulerAttempts = meter.CreateCounter<long>(MetricNames.SchedulerAttempts, "{attempt}", "Scheduling decisions by result: scheduled, unschedulable or error");
        schedulerAttemptDuration = Seconds(MetricNames.SchedulerAttemptDuration, "One scheduling attempt: the decision and, when scheduled, the binding write", RequestBuckets);
        podSchedulingDuration = Seconds(MetricNames.SchedulerPodSchedulingDuration, "From a pod's arrival at the scheduler to its binding, across attempts", StartupBuckets);
        podStartupDuration = Seconds(MetricNames.PodStartupDuration, "From a pod's creation to its Ready condition, measured by its node agent", StartupBuckets);
        reconcileDuration = Seconds(MetricNames.ReconcileDuration, "One reconcile pass of a controller, by controller and result", RequestBuckets);
        reconcileErrors = meter.CreateCounter<long>(MetricNames.ReconcileErrors, "{error}", "Reconcile passes that failed, by controller");
        reminderTicks = meter.CreateCounter<long>(MetricNames.ReminderTicks, "{tick}", "Reminder ticks delivered to grains on this silo, by grain and reminder");
        runtimeOperations = meter.CreateCounter<long>(MetricNames.RuntimeOperations, "{operation}", "Container runtime calls of the node agent, by operation and result");
        runtimeOperationDuration = Seconds(MetricNames.RuntimeOperationDuration, "Container runtime calls of the node agent, by operation and result", RequestBuckets);
        containerRestarts = meter.CreateCounter<long>(MetricNames.ContainerRestarts, "{restart}", "Containers started again after their first instance, by node and namespace");
        nodePods = meter.CreateUpDownCounter<long>(MetricNames.NodePods, "{pod}", "Pods the node agent is running, by node");
    }

    /// <summary>Grainetes' spans: API verbs, object commits, controller reconciles, scheduling, pod syncs, container starts.</summary>
    public ActivitySource Source { get; }

    /// <summary>The W3C <c>traceparent</c> of the current span, to carry across a hop that loses the ambient context.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>The span context a <c>traceparent</c> names, or the default (none) when it is missing or malformed.</summary>
    public static ActivityContext ParseTraceParent(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context) ? context : default;

    /// <summary>A span under the current one.</summary>
    public Activity? StartSpan(string name, ActivityKind kind = ActivityKind.Internal) => Source.StartActivity(name, kind);

    /// <summary>
    /// A span under <paramref name="traceParent"/> (the context an earlier hop carried), linked to <paramref name="links"/>.
    /// Without one it falls under the current span, or is a root (which the host's sampler keeps only for API requests).
    /// </summary>
    public Activity? StartSpan(string name, string? traceParent, IEnumerable<ActivityLink>? links = null) =>
        Source.StartActivity(name, ActivityKind.Internal, ParseTraceParent(traceParent), links: links);

    public void RecordApiRequest(string verb, string resource, string subresource, int code, TimeSpan elapsed)
    {
        var tags = new TagList { { "verb", verb }, { "resource", resource }, { "subresource", subresource }, { "code", code } };
        apiRequestDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void WatchStarted(string resource) => apiWatches.Add(1, new KeyValuePair<string, object?>("resource", resource));

    public void WatchEnded(string resource) => apiWatches.Add(-1, new KeyValuePair<string, object?>("resource", resource));

    /// <summary>Gives every scheduling result a series (at zero) before the first decision, so rates exist from the start.</summary>
    public void SchedulerStarted()
    {
        foreach (var result in new[] { "scheduled", "unschedulable", "error" })
        {
            schedulerAttempts.Add(0, new KeyValuePair<string, object?>("result", result));
        }
    }

    public void RecordSchedulingAttempt(string result, TimeSpan elapsed)
    {
        var tag = new KeyValuePair<string, object?>("result", result);
        schedulerAttempts.Add(1, tag);
        schedulerAttemptDuration.Record(elapsed.TotalSeconds, tag);
    }

    public void RecordPodScheduled(TimeSpan sinceQueued) => podSchedulingDuration.Record(sinceQueued.TotalSeconds);

    public void RecordPodStartup(string node, TimeSpan sinceCreation) =>
        podStartupDuration.Record(sinceCreation.TotalSeconds, new KeyValuePair<string, object?>("node", node));

    /// <summary>Gives a controller its error series (at zero) before its first failure.</summary>
    public void ControllerStarted(string controller) =>
        reconcileErrors.Add(0, new KeyValuePair<string, object?>("controller", controller));

    public void RecordReconcile(string controller, bool succeeded, TimeSpan elapsed)
    {
        var name = new KeyValuePair<string, object?>("controller", controller);
        reconcileDuration.Record(elapsed.TotalSeconds, name, new KeyValuePair<string, object?>("result", succeeded ? "success" : "error"));
        if (!succeeded)
        {
            reconcileErrors.Add(1, name);
        }
    }

    /// <summary>Counts a delivered reminder tick; <paramref name="count"/> 0 only opens the series.</summary>
    public void RecordReminderTick(string grain, string reminder, int count = 1) =>
        reminderTicks.Add(count, new KeyValuePair<string, object?>("grain", grain), new KeyValuePair<string, object?>("reminder", reminder));

    public void RecordRuntimeOperation(string node, string runtime, string operation, bool succeeded, TimeSpan elapsed)
    {
        var tags = new TagList { { "node", node }, { "runtime", runtime }, { "operation", operation }, { "result", succeeded ? "success" : "error" } };
        runtimeOperations.Add(1, tags);
        runtimeOperationDuration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>Counts container restarts; <paramref name="count"/> 0 only opens the series for a namespace.</summary>
    public void RecordContainerRestart(string node, string @namespace, int count = 1) =>
        containerRestarts.Add(count, new KeyValuePair<string, object?>("node", node), new KeyValuePair<string, object?>("namespace", @namespace));

    public void PodWorkerStarted(string node) => nodePods.Add(1, new KeyValuePair<string, object?>("node", node));

    public void PodWorkerEnded(string node) => nodePods.Add(-1, new KeyValuePair<string, object?>("node", node));

    /// <remarks>The meter belongs to the <see cref="IMeterFactory"/>, which disposes it with the container.</remarks>
    public void Dispose() => Source.Dispose();

    private Histogram<double> Seconds(string name, string description, double[] buckets) =>
        meter.CreateHistogram(name, "s", description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
}
