using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Grainetes.ApiServer.Security;

/// <summary>
/// Establishes who every request comes from (client certificate, static token, service account token), answers
/// 401 when nobody, applies <c>Impersonate-*</c> headers for users allowed to impersonate, and authorizes the
/// paths that are not resources (<c>/version</c>, <c>/openapi</c>, <c>/metrics</c>, health). Resource requests
/// are authorized where they are parsed.
/// </summary>
public sealed class AuthenticationMiddleware(
    RequestDelegate next, IEnumerable<IRequestAuthenticator> authenticators, ApiAuthorizer authorizer, IOptions<ApiSecurityOptions> options)
{
    private static readonly string[] HealthPaths = ["/healthz", "/livez", "/readyz"];

    public async Task InvokeAsync(HttpContext context)
    {
        if (options.Value.Insecure)
        {
            context.Features.Set(new RequestUser(ApiAuthorizer.InsecureAdmin));
            await next(context);
            return;
        }

        UserInfo? user = null;
        foreach (var authenticator in authenticators)
        {
            user = await authenticator.AuthenticateAsync(context);
            if (user is not null)
            {
                break;
            }
        }

        if (user is null)
        {
            // Health checks answer load balancers and probes that hold no credential; nothing else does.
            if (!HealthPaths.Any(p => context.Request.Path.StartsWithSegments(p)) || context.Request.Headers.Authorization.Count > 0)
            {
                throw new ApiException(401, "Unauthorized", "Unauthorized");
            }

            user = UserInfo.Anonymous;
        }

        user = await ImpersonateAsync(context, user);
        context.Features.Set(new RequestUser(user));
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/api") && !path.StartsWithSegments("/apis"))
        {
            await authorizer.AuthorizePathAsync(context);
        }

        await next(context);
    }

    private async Task<UserInfo> ImpersonateAsync(HttpContext context, UserInfo user)
    {
        var headers = context.Request.Headers;
        var name = headers["Impersonate-User"].ToString();
        var groups = headers["Impersonate-Group"].SelectMany(g => (g ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        if (name.Length == 0)
        {
            if (groups.Count > 0)
            {
                throw ApiException.BadRequest("requested impersonation of groups without a user");
            }

            return user;
        }

        var serviceAccount = ServiceAccountUser.TryParse(name, out var saNamespace, out var saName);
        var checks = new List<RequestAttributes>
        {
            serviceAccount
                ? new RequestAttributes { User = user, Verb = "impersonate", Resource = "serviceaccounts", Namespace = saNamespace, Name = saName }
                : new RequestAttributes { User = user, Verb = "impersonate", Resource = "users", Name = name },
        };
        checks.AddRange(groups.Select(g => new RequestAttributes { User = user, Verb = "impersonate", Resource = "groups", Name = g }));
        foreach (var check in checks)
        {
            if (!(await authorizer.DecideAsync(check)).Allowed)
            {
                throw new ApiException(403, "Forbidden", $"{check.Resource} \"{check.Name}\" is forbidden: User \"{user.Name}\" cannot impersonate resource \"{check.Resource}\" in API group \"\"{(check.Namespace.Length > 0 ? $" in the namespace \"{check.Namespace}\"" : " at the cluster scope")}");
            }
        }

        if (serviceAccount)
        {
            groups.AddRange(ServiceAccountUser.Groups(saNamespace));
        }

        var uid = headers["Impersonate-Uid"].ToString();
        return UserInfo.Authenticated(name, uid.Length == 0 ? null : uid, groups);
    }
}
