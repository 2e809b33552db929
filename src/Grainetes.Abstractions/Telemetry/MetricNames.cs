namespace Grainetes.Abstractions.Telemetry;

/// <summary>
/// The names of Grainetes' own instruments, as OpenTelemetry names them. Prometheus (the <c>/metrics</c> endpoint,
/// or a collector) turns dots into underscores and appends the unit and <c>_total</c>:
/// <c>grainetes.api.request.duration</c> in seconds is <c>grainetes_api_request_duration_seconds</c>.
/// </summary>
public static class MetricNames
{
    public const string ApiRequestDuration = "grainetes.api.request.duration";
    public const string ApiWatches = "grainetes.api.watches";
    public const string StoreObjects = "grainetes.store.objects";
    public const string SchedulerAttempts = "grainetes.scheduler.attempts";
    public const string SchedulerAttemptDuration = "grainetes.scheduler.attempt.duration";
    public const string SchedulerPodSchedulingDuration = "grainetes.scheduler.pod_scheduling.duration";
    public const string PodStartupDuration = "grainetes.pod.startup.duration";
    public const string ReconcileDuration = "grainetes.controller.reconcile.duration";
    public const string ReconcileErrors = "grainetes.controller.reconcile.errors";
    public const string ReminderTicks = "grainetes.reminder.ticks";
    public const string RuntimeOperations = "grainetes.runtime.operations";
    public const string RuntimeOperationDuration = "grainetes.runtime.operation.duration";
    public const string ContainerRestarts = "grainetes.container.restarts";
    public const string NodePods = "grainetes.node.pods";
}
