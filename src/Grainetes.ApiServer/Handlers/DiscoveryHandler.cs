using Grainetes.ApiServer.Http;
using Grainetes.Machinery.Discovery;
using Grainetes.Machinery.OpenApi;
using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Handlers;

/// <summary>Serves the prebuilt discovery and OpenAPI documents, with the content types kubectl checks.</summary>
public sealed class DiscoveryHandler(DiscoveryDocuments discovery, OpenApiDocuments openApi)
{
    public async Task<bool> TryServeDiscoveryAsync(HttpContext context, string path)
    {
        var aggregated = MediaTypes.WantsAggregatedDiscovery(context.Request) && path is "/api" or "/apis";
        if (!discovery.TryGet(path, aggregated, out var doc))
        {
            return false;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = aggregated ? DiscoveryDocuments.AggregatedContentType : ApiResponses.Json;
        await context.Response.Body.WriteAsync(doc.Utf8Json, context.RequestAborted);
        return true;
    }

    public async Task ServeOpenApiV2Async(HttpContext context)
    {
        if (!MediaTypes.AcceptsJson(context.Request))
        {
            context.Response.StatusCode = StatusCodes.Status406NotAcceptable;
            return;
        }

        await WriteAsync(context, openApi.V2);
    }

    public async Task ServeOpenApiV3Async(HttpContext context, string? rest)
    {
        if (string.IsNullOrEmpty(rest))
        {
            await WriteAsync(context, openApi.V3Root);
            return;
        }

        if (!openApi.TryGetV3(rest, out var doc))
        {
            context.Response.StatusCode = 404;
            return;
        }

        if (context.Request.Query.ContainsKey("hash"))
        {
            context.Response.Headers.CacheControl = "public, immutable, max-age=31536000";
        }

        await WriteAsync(context, doc);
    }

    private static async Task WriteAsync(HttpContext context, CachedDocument doc)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = ApiResponses.Json;
        context.Response.Headers.ETag = doc.ETag;
        await context.Response.Body.WriteAsync(doc.Utf8Json, context.RequestAborted);
    }
}
