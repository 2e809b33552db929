using Grainetes.Machinery.Errors;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// Polls with a deadline like <see cref="EndToEnd.Poll"/>, but rides out what a lost silo throws at its callers until
/// membership declares it dead (rejections, timeouts, storage 503s): the step is simply tried again.
/// </summary>
internal static class TransientPoll
{
    public static async Task UntilAsync(Func<Task<bool>> step, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? lastError = null;
        var errors = 0;
        while (true)
        {
            try
            {
                if (await step())
                {
                    return;
                }
            }
            catch (Exception e) when (IsTransient(e))
            {
                lastError = e;
                errors++;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} not reached in time ({errors} transient errors; last: {lastError?.GetType().Name}: {lastError?.Message})");
            }

            await Task.Delay(100);
        }
    }

    private static bool IsTransient(Exception e) =>
        e is OrleansException or TimeoutException or OperationCanceledException || e is ApiException { Code: 503 };
}
