using Grainetes.Abstractions.Health;
using Grainetes.Abstractions.Telemetry;
using Grainetes.ApiServer.Handlers;
using Grainetes.ApiServer.Http;
using Grainetes.ApiServer.Security;
using Grainetes.Machinery.Discovery;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.OpenApi;
using Grainetes.Machinery.Printing;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Grainetes.ApiServer.Hosting;

/// <summary>Registers and maps the Kubernetes-compatible API.</summary>
public static class ApiServerExtensions
{
    public static IServiceCollection AddGrainetesApiServer(this IServiceCollection services, Action<ApiServerOptions>? configure = null)
    {
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.TryAddSingleton(ResourceRegistry.BuiltIn);
        services.AddGrainetesInstruments();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<UnknownFieldDetector>();
        services.TryAddSingleton<TablePrinter>();
        services.TryAddSingleton<ResourcePathParser>();
        services.TryAddSingleton<RequestBodyReader>();
        services.TryAddSingleton<ResourceHandler>();
        services.TryAddSingleton<WatchHandler>();
        services.TryAddSingleton<DiscoveryHandler>();
        services.AddOptions<ApiSecurityOptions>();
        services.TryAddSingleton<ServiceAccountTokens>();
        services.TryAddSingleton<RbacPolicySource>();
        services.AddHostedService(sp => sp.GetRequiredService<RbacPolicySource>());
        services.TryAddSingleton<ApiAuthorizer>();
        services.TryAddSingleton<AccessReviewHandler>();
        services.TryAddSingleton<TokenRequestHandler>();
        // Tried in this order; the first that recognises the request's credential wins.
        services.AddSingleton<IRequestAuthenticator, ClientCertificateAuthenticator>();
        services.AddSingleton<IRequestAuthenticator, StaticTokenAuthenticator>();
        services.AddSingleton<IRequestAuthenticator, ServiceAccountTokenAuthenticator>();
        services.TryAddSingleton<Streaming.PodStreamingHandler>();
        services.TryAddSingleton<Streaming.NodeStreamRelay>();
        services.TryAddSingleton<Streaming.RemoteCommandBridge>();
        services.TryAddSingleton<MetricsHandler>();
        services.TryAddSingleton(sp => new OpenApiDocuments(sp.GetRequiredService<ResourceRegistry>()));
        services.TryAddSingleton(sp => new DiscoveryDocuments(
            sp.GetRequiredService<ResourceRegistry>(),
            sp.GetRequiredService<IOptions<ApiServerOptions>>().Value.AdvertisedAddress));
        return services;
    }

    public static IApplicationBuilder UseGrainetesApiErrors(this IApplicationBuilder app) => app.UseMiddleware<ApiErrorMiddleware>();

    /// <summary>Authentication (and authorization of non-resource paths); after <see cref="UseGrainetesApiErrors"/>, so refusals are <c>Status</c> answers.</summary>
    public static IApplicationBuilder UseGrainetesApiSecurity(this IApplicationBuilder app) =>
        app.UseMiddleware<AuthenticationMiddleware>().UseMiddleware<RequestLimitsMiddleware>();
    /// <summary>Measures resource requests; goes before <see cref="UseGrainetesApiErrors"/> so it sees the codes errors are answered with.</summary>
    public static IApplicationBuilder UseGrainetesApiTelemetry(this IApplicationBuilder app) => app.UseMiddleware<ApiTelemetryMiddleware>();

    public static IEndpointRouteBuilder MapGrainetesApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", (HttpContext c) => HealthAsync(c, checkStorage: false));
        endpoints.MapGet("/livez", (HttpContext c) => HealthAsync(c, checkStorage: false));
        endpoints.MapGet("/readyz", (HttpContext c) => HealthAsync(c, checkStorage: true));
        endpoints.MapGet("/version", ServeDiscoveryOr404Async);
        endpoints.MapGet("/openapi/v2", (HttpContext c, DiscoveryHandler d) => d.ServeOpenApiV2Async(c));
        endpoints.MapGet("/openapi/v3/{**rest}", (HttpContext c, DiscoveryHandler d, string? rest) => d.ServeOpenApiV3Async(c, rest));
        endpoints.Map("/api/{**rest}", (HttpContext c, string? rest) => DispatchAsync(c, "", rest));
        endpoints.Map("/api", ServeDiscoveryOr404Async);
        endpoints.Map("/apis", ServeDiscoveryOr404Async);
        endpoints.Map("/apis/{**rest}", (HttpContext c, string? rest) => DispatchAsync(c, null, rest));
        return endpoints;
    }

    private static async Task HealthAsync(HttpContext context, bool checkStorage)
    {
        var ok = true;
        if (checkStorage && context.RequestServices.GetService<IStorageProbe>() is { } probe)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            ok = await probe.IsReachableAsync(timeout.Token);
        }

        var verbose = context.Request.Query.ContainsKey("verbose");
        context.Response.StatusCode = ok ? 200 : 500;
        context.Response.ContentType = "text/plain; charset=utf-8";
        var text = ok ? "ok" : "[-]storage failed: reason withheld\nreadyz check failed";
        if (verbose && ok)
        {
            text = checkStorage ? "[+]ping ok\n[+]storage ok\nreadyz check passed" : "[+]ping ok\nhealthz check passed";
        }

        await context.Response.WriteAsync(text, context.RequestAborted);
    }

    private static async Task ServeDiscoveryOr404Async(HttpContext context)
    {
        await context.RequestServices.GetRequiredService<ApiAuthorizer>().AuthorizePathAsync(context);
        var handler = context.RequestServices.GetRequiredService<DiscoveryHandler>();
        if (!await handler.TryServeDiscoveryAsync(context, context.Request.Path.Value!.TrimEnd('/')))
        {
            throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        }
    }

    private static async Task DispatchAsync(HttpContext context, string? coreGroup, string? rest)
    {
        var segments = (rest ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        string group, version;
        IReadOnlyList<string> resourceSegments;
        if (coreGroup is not null)
        {
            if (segments.Length == 0)
            {
                await ServeDiscoveryOr404Async(context);
                return;
            }

            group = "";
            version = segments[0];
            resourceSegments = segments[1..];
        }
        else
        {
            if (segments.Length < 2)
            {
                await ServeDiscoveryOr404Async(context);
                return;
            }

            group = segments[0];
            version = segments[1];
            resourceSegments = segments[2..];
            if (AccessReviewHandler.Handles(group) && resourceSegments.Count > 0)
            {
                await context.RequestServices.GetRequiredService<AccessReviewHandler>().HandleAsync(context, group, version, resourceSegments);
                return;
            }
        }

        if (resourceSegments.Count == 0)
        {
            await ServeDiscoveryOr404Async(context);
            return;
        }

        if (resourceSegments[0] == "watch")
        {
            // The legacy /watch/ prefix: same as ?watch=true.
            resourceSegments = resourceSegments.Skip(1).ToList();
            context.Request.QueryString = context.Request.QueryString.Add("watch", "true");
        }

        var parser = context.RequestServices.GetRequiredService<ResourcePathParser>();
        var request = parser.Parse(group, version, resourceSegments)!;
        await context.RequestServices.GetRequiredService<ApiAuthorizer>().AuthorizeResourceAsync(context, request);
        if (request.Subresource == "token")
        {
            await context.RequestServices.GetRequiredService<TokenRequestHandler>().HandleAsync(context, request);
            return;
        }

        if (!request.Type.Stored)
        {
            await context.RequestServices.GetRequiredService<MetricsHandler>().HandleAsync(context, request);
            return;
        }

        await context.RequestServices.GetRequiredService<ResourceHandler>().HandleAsync(context, request);
    }
}
