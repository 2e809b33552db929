using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// The loop every workload controller grain shares. Wake-ups are one-way and only set a flag, so no caller
/// ever waits on a reconcile; wake-ups during a run fold into one more run. Failures retry with backoff on a
/// grain timer, and a reminder held while the object exists re-activates the grain after a silo loss.
/// </summary>
public abstract partial class ReconcilerGrain : Grain, IRemindable
{
    private const string ReminderName = "resync";
    private const int MaxRunsInARow = 5;

    private readonly ILogger logger;
    private readonly TimeProvider time;
    private bool running;
    private bool dirty;
    private bool? reminderHeld;
    private int failures;
    private IGrainTimer? requeue;
    private DateTimeOffset requeueAt;

    private protected ReconcilerGrain(ILogger logger, TimeProvider time)
    {
        this.logger = logger;
        this.time = time;
    }

    /// <summary>How often the reminder resyncs the object when no change wakes the controller (<see cref="ControllerManagerOptions.ResyncPeriod"/>).</summary>
    private protected virtual TimeSpan ResyncPeriod =>
        ServiceProvider.GetService<IOptions<ControllerManagerOptions>>()?.Value.ResyncPeriod ?? TimeSpan.FromMinutes(3);

    private protected TimeProvider Time => time;

    public Task Reconcile()
    {
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
        try
        {
            var runs = 0;
            while (dirty)
            {
                dirty = false;
                ReconcileOutcome outcome;
                try
                {
                    outcome = await ReconcileOnceAsync();
                    failures = 0;
                }
                catch (Exception ex)
                {
                    // Conflicts and storage hiccups are routine: look again soon, less soon each time.
                    failures++;
                    var delay = TimeSpan.FromMilliseconds(Math.Min(30_000, 200 * Math.Pow(2, Math.Min(failures, 8))));
                    LogFailed(ex, this.GetPrimaryKeyString(), delay.TotalMilliseconds);
                    RequeueAfter(delay);
                    continue;
                }

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
