using System.Runtime.InteropServices;

namespace Grainetes.Host.Hosting;

/// <summary>
/// SIGINT and SIGTERM for the whole life of a host process, start-up included: the first asks for the one graceful
/// stop path (<see cref="Stopping"/>); a second one is left to the runtime, which ends the process at once, as a
/// second Ctrl-C does in most servers.
/// </summary>
public sealed partial class StopSignals : IDisposable
{
    private readonly CancellationTokenSource stopping = new();
    private readonly PosixSignalRegistration[] registrations;
    private readonly ILogger logger;
    private int received;

    public StopSignals(ILogger logger)
    {
        this.logger = logger;
        registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Stopping => stopping.Token;

    public void Dispose()
    {
        foreach (var registration in registrations)
        {
            registration.Dispose();
        }

        stopping.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref received) > 1)
        {
            LogForced(context.Signal);
            return;
        }

        context.Cancel = true;
        LogStopping(context.Signal);
        // Not on the signal thread: cancellation runs its callbacks synchronously.
        _ = Task.Run(stopping.CancelAsync);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Signal} received: stopping")]
    private partial void LogStopping(PosixSignal signal);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Signal} received again: exiting at once")]
    private partial void LogForced(PosixSignal signal);
}
