using Grainetes.Abstractions.Controllers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Grainetes.Grains.Hosting;

/// <summary>
/// Activates the controller manager when the silo starts, retrying until the silo accepts calls. The
/// manager's own reminder keeps it alive afterwards, so this runs to completion once per silo start.
/// </summary>
internal sealed partial class ControllerManagerStarter(IGrainFactory grains, ILogger<ControllerManagerStarter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await grains.GetGrain<IControllerManagerGrain>("default").Start();
                LogStarted();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRetrying(ex, delay.TotalMilliseconds);
            }

            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromMilliseconds(Math.Min(10_000, delay.TotalMilliseconds * 2));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload controller manager started")]
    private partial void LogStarted();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Silo not ready for the controller manager yet; retrying in {DelayMs} ms")]
    private partial void LogRetrying(Exception ex, double delayMs);
}
