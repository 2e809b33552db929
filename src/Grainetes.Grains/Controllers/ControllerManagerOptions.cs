namespace Grainetes.Grains.Controllers;

/// <summary>
/// How the workload controllers are woken. Bound from the <c>Controllers</c> section (for example the environment
/// variable <c>Controllers__ResyncPeriod=00:05:00</c>). Reminder periods below Orleans'
/// <c>ReminderOptions.MinimumReminderPeriod</c> (one minute by default) are raised to it.
/// </summary>
public sealed class ControllerManagerOptions
{
    public const string SectionName = "Controllers";

    /// <summary>
    /// Whether the controller manager follows the change logs and wakes controllers at once. Off, only the reminders
    /// below drive reconciles: a test of the durable backstop, or a degraded mode, never the normal one.
    /// </summary>
    public bool WakeOnChanges { get; set; } = true;

    /// <summary>How often each controller grain's reminder re-runs its reconcile while its object exists.</summary>
    public TimeSpan ResyncPeriod { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How often the controller manager's reminder re-activates it and wakes every controller.</summary>
    public TimeSpan ManagerResyncPeriod { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often every silo pings the controller manager. A manager lost with its silo is activated again on a live
    /// one within this period, instead of at its next reminder tick.
    /// </summary>
    public TimeSpan ManagerKeepAlivePeriod { get; set; } = TimeSpan.FromSeconds(10);
}
