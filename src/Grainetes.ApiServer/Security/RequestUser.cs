using Grainetes.Machinery.Security;
using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Security;

/// <summary>The authenticated (and, with impersonation, assumed) user of a request, kept in its features.</summary>
public sealed record RequestUser(UserInfo User)
{
    /// <summary>The user of the request; the insecure admin when no security middleware ran (in-process tests).</summary>
    public static UserInfo Of(HttpContext context) => context.Features.Get<RequestUser>()?.User ?? ApiAuthorizer.InsecureAdmin;
}
