using System.Diagnostics;
using Grainetes.Abstractions.Telemetry;
using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Http;

/// <summary>
/// Measures every resource request by verb, resource, subresource and the status code it was answered with. It runs
/// outside <see cref="ApiErrorMiddleware"/>, so failures are counted with the code the client saw; requests that are
/// not about a resource (discovery, OpenAPI, health, <c>/metrics</c>) are left to ASP.NET Core's own metrics.
/// </summary>
public sealed class ApiTelemetryMiddleware(RequestDelegate next, GrainetesTelemetry telemetry)
{
    /// <summary>What a request that ended before any answer counts as (nginx's "client closed request").</summary>
    public const int ClientClosedRequest = 499;

    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            if (context.Features.Get<ApiRequestInfo>() is { } info)
            {
                var code = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? ClientClosedRequest : context.Response.StatusCode;
                telemetry.RecordApiRequest(info.Verb, info.Resource, info.Subresource, code, Stopwatch.GetElapsedTime(started));
            }
        }
    }
}
