using Grainetes.Machinery.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Grainetes.ApiServer.Http;

/// <summary>Turns every failure under the API into a Kubernetes <c>Status</c> answer with the right code.</summary>
public sealed partial class ApiErrorMiddleware(RequestDelegate next, ILogger<ApiErrorMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (ApiException ex) when (!context.Response.HasStarted)
        {
            await ApiResponses.WriteErrorAsync(context, ex);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            var error = ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? new ApiException(413, "RequestEntityTooLarge", "the request body is too large")
                : ApiException.BadRequest(ex.Message);
            await ApiResponses.WriteErrorAsync(context, error);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception ex) when (!context.Response.HasStarted && IsUnavailable(ex))
        {
            LogUnavailable(ex, context.Request.Method, context.Request.Path);
            await ApiResponses.WriteErrorAsync(context, ApiException.ServiceUnavailable("the cluster is not ready to serve this request: " + ex.GetType().Name, 1));
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            LogFailed(ex, context.Request.Method, context.Request.Path);
            await ApiResponses.WriteErrorAsync(context, new ApiException(500, "InternalError", "an error on the server has prevented the request from succeeding"));
        }
    }

    /// <summary>
    /// Storage or a silo out of reach, however deep it is wrapped (Orleans and the storage providers wrap what the
    /// Azure SDK throws): the client should retry, not report a server bug.
    /// </summary>
    private static bool IsUnavailable(Exception ex) => ex switch
    {
        TimeoutException or Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException
            or HttpRequestException or System.Net.Sockets.SocketException => true,
        _ when ex.GetType().Name.Contains("RequestFailed", StringComparison.Ordinal) => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsUnavailable),
        _ => ex.InnerException is { } inner && IsUnavailable(inner),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} found the cluster unavailable")]
    private partial void LogUnavailable(Exception ex, string method, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private partial void LogFailed(Exception ex, string method, string path);
}
