using System.Collections.Concurrent;
using Grainetes.Machinery.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Grainetes.ApiServer.Security;

/// <summary>
/// Keeps one client from hurting the rest (Kubernetes' max-in-flight filter, per user here): a cap on each user's
/// requests in flight and on their open watches, answered with 429 and Retry-After, and a timeout on every
/// request that is not a watch or a stream, answered with 504.
/// </summary>
public sealed class RequestLimitsMiddleware(RequestDelegate next, IOptions<ApiServerOptions> options)
{
    private readonly ConcurrentDictionary<string, int> requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> watches = new(StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        var user = RequestUser.Of(context).Name;
        var longRunning = IsLongRunning(context.Request);
        var counters = longRunning ? watches : requests;
        var limit = longRunning ? options.Value.MaxWatchesPerUser : options.Value.MaxRequestsInFlightPerUser;
        if (counters.AddOrUpdate(user, 1, (_, n) => n + 1) > limit)
        {
            Release(counters, user);
            throw new ApiException(429, "TooManyRequests", "Too many requests, please try again later.") { RetryAfterSeconds = 1 };
        }

        try
        {
            if (longRunning)
            {
                await next(context);
                return;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(options.Value.RequestTimeout);
            var aborted = context.RequestAborted;
            context.RequestAborted = timeout.Token;
            try
            {
                await next(context);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !aborted.IsCancellationRequested)
            {
                context.RequestAborted = aborted;
                throw new ApiException(504, "Timeout", $"Timeout: request did not complete within {options.Value.RequestTimeout.TotalSeconds:0}s") { RetryAfterSeconds = 1 };
            }
        }
        finally
        {
            Release(counters, user);
        }
    }

    private static void Release(ConcurrentDictionary<string, int> counters, string user)
    {
        if (counters.AddOrUpdate(user, 0, (_, n) => n - 1) <= 0)
        {
            // Keep the map to the users active now; a racing increment re-adds the entry.
            counters.TryRemove(new KeyValuePair<string, int>(user, 0));
        }
    }

    private static bool IsLongRunning(HttpRequest request)
    {
        var path = request.Path.Value ?? "";
        return (request.Query["watch"] is { Count: > 0 } w && (w[0] == "true" || w[0] == "1"))
            || path.Contains("/watch/", StringComparison.Ordinal)
            || (request.Query["follow"] is { Count: > 0 } f && f[0] == "true")
            || path.EndsWith("/exec", StringComparison.Ordinal) || path.EndsWith("/attach", StringComparison.Ordinal)
            || path.EndsWith("/portforward", StringComparison.Ordinal) || path.EndsWith("/proxy", StringComparison.Ordinal);
    }
}
