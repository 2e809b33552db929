using Grainetes.Abstractions.Controllers;

namespace Grainetes.Host.Hosting;

/// <summary>
/// Wakes the cluster-wide controllers when a silo starts (each is one grain; waking it twice is harmless).
/// Their reminders bring them back after a crash; this only makes the first start immediate.
/// </summary>
public sealed partial class ControlPlaneStarter(IGrainFactory grains, ILogger<ControlPlaneStarter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await grains.GetGrain<INodeLifecycleControllerGrain>("default").Start();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRetry(ex);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Control plane not started yet; retrying")]
    private partial void LogRetry(Exception ex);
}
