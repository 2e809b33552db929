namespace Grainetes.Grains.Controllers;

/// <summary>Settings of the CronJob controller.</summary>
public sealed class CronJobControllerOptions
{
    /// <summary>
    /// The clock schedules are read against; null means the silo's <see cref="TimeProvider"/>. Tests set a
    /// fake one so a minute-granular schedule can be driven without waiting for minutes to pass.
    /// </summary>
    public TimeProvider? Clock { get; set; }
}
