using System.Diagnostics;
using Grainetes.Abstractions.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// The loop every workload controller grain shares. Wake-ups are one-way and only set a flag, so no caller
/// ever waits on a reconcile; wake-ups during a run fold into one more run. Failures retry with backoff on a
/// grain timer, and a reminder held while the object exists re-activates the grain after a silo loss.
/// Each pass is a span continuing the trace of the wake-ups it serves (the first is its parent, the others links),
/// and is measured per controller.
/// </summary>
public abstract partial class ReconcilerGrain : Grain, IRemindable
{
    private const string ReminderName = "resync";
    private const int MaxRunsInARow = 5;
    private const int MaxWakers = 8;

    private readonly ILogger logger;
    private readonly TimeProvider time;
    private bool running;
    private bool dirty;
    private bool? reminderHeld;
    private int failures;
    private IGrainTimer? requeue;
    private DateTimeOffset requeueAt;
    private readonly List<ActivityContext> wakers = [];
    private GrainetesTelemetry? telemetry;
    private string? controllerName;

    private protected ReconcilerGrain(ILogger logger, TimeProvider time)
    {
        this.logger = logger;
        this.time = time;
    }

    /// <summary>How often the reminder resyncs the object when no change wakes the controller (<see cref="ControllerManagerOptions.ResyncPeriod"/>).</summary>
    private protected virtual TimeSpan ResyncPeriod =>
        ServiceProvider.GetService<IOptions<ControllerManagerOptions>>()?.Value.ResyncPeriod ?? TimeSpan.FromMinutes(3);

    private protected TimeProvider Time => time;

    /// <summary>The controller's name in metrics and spans: the grain class without its <c>Grain</c> suffix.</summary>
    private string ControllerName => controllerName ??= GetType().Name.EndsWith("Grain", StringComparison.Ordinal) ? GetType().Name[..^5] : GetType().Name;

    // From the grain's services rather than every controller's constructor: the base class measures all of them alike.
    private GrainetesTelemetry Telemetry => telemetry ??= ServiceProvider.GetRequiredService<GrainetesTelemetry>();

    public Task Reconcile()
    {
        // The caller's trace (a change the controller manager routed here) is continued by the pass that serves it.
        if (Activity.Current is { } waker && wakers.Count < MaxWakers && !wakers.Contains(waker.Context))
        {
            wakers.Add(waker.Context);
        }

        dirty = true;
        if (!running)
        {
            running = true;
            RunAsync().Ignore();
        }

        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Reconcile();

    /// <summary>One pass: read the object and the world, act once, write status. Must be idempotent.</summary>
    private protected abstract Task<ReconcileOutcome> ReconcileOnceAsync();

    private async Task RunAsync()
    {
        // The loop outlives the call that started it: each pass names its own parent.
        Activity.Current = null;
        Telemetry.ControllerStarted(ControllerName);
        try
        {
            var runs = 0;
            var followUpParent = default(ActivityContext);
            while (dirty)
            {
                dirty = false;
                ReconcileOutcome outcome;
                var started = Stopwatch.GetTimestamp();
                using var span = StartPass(followUpParent);
                try
                {
                    outcome = await ReconcileOnceAsync();
                    failures = 0;
                    Telemetry.RecordReconcile(ControllerName, succeeded: true, Stopwatch.GetElapsedTime(started));
                }
                catch (Exception ex)
                {
                    // Conflicts and storage hiccups are routine: look again soon, less soon each time.
                    failures++;
                    Telemetry.RecordReconcile(ControllerName, succeeded: false, Stopwatch.GetElapsedTime(started));
                    span?.SetStatus(ActivityStatusCode.Error, ex.Message);
                    var delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 200 * Math.Pow(2, Math.Min(failures, 8))));
                    LogFailed(ex, this.GetPrimaryKeyString(), delay.TotalMilliseconds);
                    if (span is { Recorded: true } && wakers.Count < MaxWakers)
                    {
                        // The retry continues this trace, whenever the timer brings it.
                        wakers.Add(span.Context);
                    }

                    RequeueAfter(delay);
                    continue;
                }

                span?.SetTag("grainetes.reconcile.changed", outcome.Changed);
                followUpParent = span is null ? default : ParentContextOf(span);

                await FollowReminderAsync(outcome.Exists);
                if (outcome.RequeueAfter is { } after)
                {
                    RequeueAfter(after);
                }

                if (outcome.Changed && ++runs < MaxRunsInARow)
                {
                    dirty = true;
                }
            }
        }
        finally
        {
            running = false;
        }
    }

    /// <summary>
    /// A pass's span: under the first traced wake-up it serves, linked to the others; a follow-up pass (the last one
    /// changed something) with no new wake-ups stays under the same parent as the pass before it.
    /// </summary>
    private Activity? StartPass(ActivityContext followUpParent)
    {
        var parent = wakers.FirstOrDefault(w => (w.TraceFlags & ActivityTraceFlags.Recorded) != 0);
        if (parent == default)
        {
            parent = wakers.Count > 0 ? wakers[0] : followUpParent;
        }

        var links = wakers.Where(w => w != parent).Select(w => new ActivityLink(w)).ToList();
        wakers.Clear();
        var span = Telemetry.Source.StartActivity("reconcile " + ControllerName, ActivityKind.Internal, parent, links: links);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("grainetes.controller", ControllerName);
            span.SetTag("grainetes.key", this.GetPrimaryKeyString());
        }

        return span;
    }

    private static ActivityContext ParentContextOf(Activity span) =>
        span.ParentSpanId == default ? default : new ActivityContext(span.TraceId, span.ParentSpanId, span.ActivityTraceFlags, isRemote: true);

    private void RequeueAfter(TimeSpan delay)
    {
        var at = time.GetUtcNow() + delay;
        if (requeue is not null && requeueAt <= at)
        {
            return;
        }

        requeue?.Dispose();
        requeueAt = at;
        requeue = this.RegisterGrainTimer(
            _ =>
            {
                requeue?.Dispose();
                requeue = null;
                return Reconcile();
            },
            new GrainTimerCreationOptions(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan));
    }

    private async Task FollowReminderAsync(bool exists)
    {
        if (reminderHeld == exists)
        {
            return;
        }

        try
        {
            if (exists)
            {
                // Orleans refuses periods under its minimum; a shorter setting means "as often as allowed".
                var minimum = ServiceProvider.GetService<IOptions<ReminderOptions>>()?.Value.MinimumReminderPeriod ?? TimeSpan.FromMinutes(1);
                var period = ResyncPeriod < minimum ? minimum : ResyncPeriod;
                await this.RegisterOrUpdateReminder(ReminderName, period, period);
            }
            else if (await this.GetReminder(ReminderName) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            reminderHeld = exists;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The change feed still wakes the controller; the next pass tries again.
            LogReminderFailed(ex, this.GetPrimaryKeyString());
        }

        if (!exists)
        {
            DeactivateOnIdle();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconcile of {Key} failed; retrying in {DelayMs} ms")]
    private partial void LogFailed(Exception ex, string key, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not update the resync reminder of {Key}")]
    private partial void LogReminderFailed(Exception ex, string key);
}
