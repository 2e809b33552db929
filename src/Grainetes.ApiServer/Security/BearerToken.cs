using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Security;

/// <summary>Reads <c>Authorization: Bearer …</c>.</summary>
internal static class BearerToken
{
    public static string? From(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string Prefix = "Bearer ";
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header[Prefix.Length..].Trim();
        return token.Length == 0 ? null : token;
    }
}
