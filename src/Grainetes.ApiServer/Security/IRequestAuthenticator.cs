using Grainetes.Machinery.Security;
using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Security;

/// <summary>One way of proving who a request comes from (Kubernetes' <c>authenticator.Request</c>).</summary>
public interface IRequestAuthenticator
{
    /// <summary>
    /// The user, or null when the request carries no credential of this kind or one this authenticator does
    /// not accept (another authenticator may).
    /// </summary>
    ValueTask<UserInfo?> AuthenticateAsync(HttpContext context);
}
