using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Http;

/// <summary>Writes API answers: JSON text as stored, JSON trees, and Kubernetes <c>Status</c> errors.</summary>
public static class ApiResponses
{
    public const string Json = "application/json";

    public static Task WriteJsonTextAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = Json;
        return context.Response.WriteAsync(json, Encoding.UTF8, context.RequestAborted);
    }

    public static Task WriteJsonAsync(HttpContext context, int status, JsonNode node) =>
        WriteJsonTextAsync(context, status, node.ToJsonString());

    public static Task WriteErrorAsync(HttpContext context, ApiException error)
    {
        if (error.RetryAfterSeconds is { } retry)
        {
            context.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return WriteJsonAsync(context, error.Code, error.ToStatus());
    }

    public static JsonObject Success(string? message = null, JsonObject? details = null)
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
        };
        if (message is not null)
        {
            status["message"] = message;
        }

        if (details is not null)
        {
            status["details"] = details;
        }

        return status;
    }
}
