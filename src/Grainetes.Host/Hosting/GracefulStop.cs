using System.Diagnostics;
using Azure;
using Azure.Data.Tables;

namespace Grainetes.Host.Hosting;

/// <summary>
/// Stops a running host within a bounded time: a graceful phase (the API ends its watches at once; the silo marks
/// its membership row Dead and deactivates its grains), cut short when the store does not answer, since a dead
/// store would only make the silo retry its membership writes for the whole budget.
/// </summary>
public sealed partial class GracefulStop(HostStopOptions options, string connectionString, ILogger logger)
{
    /// <returns>Whether the host stopped; when not, it is left behind (the process is about to end) and must not be disposed.</returns>
    public async Task<bool> StopAsync(IHost host)
    {
        var clock = Stopwatch.StartNew();
        var reachable = await StoreAnswersAsync();
        var budget = reachable ? options.GracefulTimeout : options.UnreachableStoreTimeout;
        LogStopping(reachable, budget.TotalSeconds);
        using var graceful = new CancellationTokenSource(budget);
        var stopping = host.StopAsync(graceful.Token);
        // Past the budget the silo stops ungracefully, yet Orleans' membership agent still retries its last
        // status writes for a minute each against a store that does not answer: that is not waited for.
        if (await Task.WhenAny(stopping, Task.Delay(budget + options.UngracefulTimeout)) != stopping)
        {
            LogAbandoned(clock.Elapsed.TotalSeconds);
            return false;
        }

        try
        {
            await stopping;
        }
        catch (Exception ex)
        {
            // A part failed to stop: the process ends anyway, and nothing acknowledged depends on this phase
            // (every write commits on the request path).
            LogStopFailed(ex);
        }

        LogStopped(clock.Elapsed.TotalSeconds);
        return true;
    }

    /// <summary>One request, no retries: any answer, even an error status, means the store is there.</summary>
    private async Task<bool> StoreAnswersAsync()
    {
        var clientOptions = new TableClientOptions();
        clientOptions.Retry.MaxRetries = 0;
        clientOptions.Retry.NetworkTimeout = options.StoreProbeTimeout;
        using var timeout = new CancellationTokenSource(options.StoreProbeTimeout);
        try
        {
            var client = new TableServiceClient(connectionString, clientOptions);
            await foreach (var _ in client.QueryAsync(maxPerPage: 1, cancellationToken: timeout.Token).AsPages())
            {
                break;
            }

            return true;
        }
        catch (RequestFailedException ex) when (ex.Status != 0)
        {
            return true;
        }
        catch (Exception ex) when (ex is RequestFailedException or OperationCanceledException or HttpRequestException or AggregateException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping the host (store answers: {Reachable}; graceful budget {Budget:F0} s)")]
    private partial void LogStopping(bool reachable, double budget);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The host had not stopped after {Seconds:F1} s: leaving the rest of its stop behind")]
    private partial void LogAbandoned(double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The host did not stop cleanly")]
    private partial void LogStopFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host stopped in {Seconds:F1} s")]
    private partial void LogStopped(double seconds);
}
