using Grainetes.Abstractions.Controllers;
using Grainetes.Grains.Controllers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grainetes.Grains.Hosting;

/// <summary>
/// Activates the controller manager when the silo starts, retrying until the silo accepts calls, and keeps it
/// alive: a ping every <see cref="ControllerManagerOptions.ManagerKeepAlivePeriod"/>, and one at once whenever
/// membership declares a silo dead. A manager that died with its silo is so activated again on a live one within
/// seconds, instead of at its next reminder tick minutes later (until then no change would wake any controller).
/// </summary>
internal sealed partial class ControllerManagerStarter(
    IGrainFactory grains,
    IClusterMembershipService membership,
    IOptions<ControllerManagerOptions> options,
    ILogger<ControllerManagerStarter> logger) : BackgroundService
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await PingUntilAnsweredAsync(stoppingToken);
        LogStarted();
        await Task.WhenAll(KeepAliveAsync(stoppingToken), WatchMembershipAsync(stoppingToken));
    }

    private async Task KeepAliveAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ManagerKeepAlivePeriod);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await PingUntilAnsweredAsync(stoppingToken);
        }
    }

    private async Task WatchMembershipAsync(CancellationToken stoppingToken)
    {
        var previous = membership.CurrentSnapshot;
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
        {
            var update = snapshot.CreateUpdate(previous);
            previous = snapshot;
            if (update.Changes.Any(m => m.Status == SiloStatus.Dead))
            {
                await PingUntilAnsweredAsync(stoppingToken);
            }
        }
    }

    private async Task PingUntilAnsweredAsync(CancellationToken stoppingToken)
    {
        var retry = FirstRetry;
        while (true)
        {
            try
            {
                await grains.GetGrain<IControllerManagerGrain>("default").Start();
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRetrying(ex, retry.TotalMilliseconds);
            }

            await Task.Delay(retry, stoppingToken);
            retry = TimeSpan.FromMilliseconds(Math.Min(10_000, retry.TotalMilliseconds * 2));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload controller manager started")]
    private partial void LogStarted();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Controller manager not reachable yet; retrying in {DelayMs} ms")]
    private partial void LogRetrying(Exception ex, double delayMs);
}
