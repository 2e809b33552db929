using System.Collections.Concurrent;
using Grainetes.Abstractions.Telemetry;

namespace Grainetes.Grains.Telemetry;

/// <summary>
/// Counts every reminder tick delivered to a grain on this silo, whichever grain it is: reminders arrive as calls of
/// <see cref="IRemindable.ReceiveReminder"/>, so one filter sees them all. A remindable grain type's series is opened
/// at zero on its first call of any kind, so dashboards see it before its first tick (a minute at the earliest).
/// </summary>
internal sealed class ReminderTickFilter(GrainetesTelemetry telemetry) : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<Type, bool> opened = new();

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is IRemindable)
        {
            var type = context.Grain.GetType();
            if (context.Request.GetInterfaceType() == typeof(IRemindable) && context.Request.GetArgumentCount() > 0 && context.Request.GetArgument(0) is string reminder)
            {
                telemetry.RecordReminderTick(type.Name, reminder);
            }
            else if (opened.TryAdd(type, true))
            {
                telemetry.RecordReminderTick(type.Name, "", count: 0);
            }
        }

        return context.Invoke();
    }
}
