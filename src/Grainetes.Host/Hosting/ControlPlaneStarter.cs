using Grainetes.Abstractions.Controllers;

namespace Grainetes.Host.Hosting;

/// <summary>
/// Wakes the cluster-wide controllers when a silo starts (each is one grain; waking it twice is harmless), and again
/// whenever membership declares a silo dead: a controller that died with its silo then comes back on a live one
/// within seconds instead of at its next reminder tick a minute later, so a dead node is noticed in time.
/// </summary>
public sealed partial class ControlPlaneStarter(IGrainFactory grains, IClusterMembershipService membership, ILogger<ControlPlaneStarter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var previous = membership.CurrentSnapshot;
        await StartUntilAnsweredAsync(stoppingToken);
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
        {
            var update = snapshot.CreateUpdate(previous);
            previous = snapshot;
            if (update.Changes.Any(m => m.Status == SiloStatus.Dead))
            {
                await StartUntilAnsweredAsync(stoppingToken);
            }
        }
    }

    private async Task StartUntilAnsweredAsync(CancellationToken stoppingToken)
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
