using Grainetes.Machinery.Security;
using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Security;

/// <summary>
/// Bearer tokens signed by the cluster for a service account. A token only holds while the account it names
/// exists with the same uid, so deleting the account (or its token Secret) revokes it.
/// </summary>
public sealed class ServiceAccountTokenAuthenticator(ServiceAccountTokens tokens, IGrainFactory grains) : IRequestAuthenticator
{
    public async ValueTask<UserInfo?> AuthenticateAsync(HttpContext context)
    {
        if (BearerToken.From(context.Request) is not { } token || await tokens.ValidateAsync(token) is not var (ns, name, uid))
        {
            return null;
        }

        if (await ServiceAccountLookup.UidAsync(grains, ns, name) != uid)
        {
            return null;
        }

        return UserInfo.Authenticated(ServiceAccountUser.Name(ns, name), uid, ServiceAccountUser.Groups(ns));
    }
}
