using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Http;

/// <summary>Reads what a client asks for in <c>Accept</c>: a Table, aggregated discovery, or plain JSON.</summary>
public static class MediaTypes
{
    public static bool WantsTable(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("as=Table", StringComparison.Ordinal));

    public static bool WantsAggregatedDiscovery(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal));

    public static bool AcceptsJson(HttpRequest request)
    {
        var accept = string.Join(",", request.Headers.Accept.ToArray());
        return accept.Length == 0 || accept.Contains("json", StringComparison.OrdinalIgnoreCase) || accept.Contains("*/*", StringComparison.Ordinal);
    }
}
