using Grainetes.ApiServer.Http;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Grainetes.ApiServer.Security;

/// <summary>
/// Turns a request into RBAC attributes (Kubernetes' RequestInfo) and asks the policy, answering 403 with
/// Kubernetes' own message when it is not allowed.
/// </summary>
public sealed class ApiAuthorizer(RbacPolicySource policy, IOptions<ApiSecurityOptions> options)
{
    /// <summary>The user of every request on an insecure server, as on Kubernetes' old insecure port.</summary>
    public static UserInfo InsecureAdmin { get; } = UserInfo.Authenticated("system:admin", null, [UserInfo.Masters]);

    public bool Enabled => !options.Value.Insecure;

    public async Task<AuthorizationDecision> DecideAsync(RequestAttributes attributes)
    {
        if (!Enabled || attributes.User.Groups.Contains(UserInfo.Masters, StringComparer.Ordinal))
        {
            // Kubernetes short-circuits system:masters before RBAC, so a broken policy can always be repaired.
            return new AuthorizationDecision(true, "system:masters");
        }

        await policy.Loaded.WaitAsync(TimeSpan.FromSeconds(10));
        return policy.Current.Authorize(attributes);
    }

    /// <summary>Every rule granted to <paramref name="user"/> in a namespace; everything for system:masters.</summary>
    public IReadOnlyList<PolicyRule> RulesFor(UserInfo user, string @namespace) =>
        !Enabled || user.Groups.Contains(UserInfo.Masters, StringComparer.Ordinal)
            ? [PolicyRule.ForResources(["*"], ["*"], ["*"]), PolicyRule.ForPaths(["*"], ["*"])]
            : policy.Current.RulesFor(user, @namespace);

    public async Task AuthorizeResourceAsync(HttpContext context, ResourceRequest request)
    {
        if (!Enabled)
        {
            return;
        }

        var attributes = ForResource(RequestUser.Of(context), context.Request, request);
        if (!(await DecideAsync(attributes)).Allowed)
        {
            throw Forbidden(attributes);
        }
    }

    public async Task AuthorizePathAsync(HttpContext context)
    {
        if (!Enabled)
        {
            return;
        }

        var attributes = new RequestAttributes
        {
            User = RequestUser.Of(context),
            Verb = context.Request.Method.ToLowerInvariant(),
            IsResourceRequest = false,
            Path = context.Request.Path.Value ?? "/",
        };
        if (!(await DecideAsync(attributes)).Allowed)
        {
            throw Forbidden(attributes);
        }
    }

    public static RequestAttributes ForResource(UserInfo user, HttpRequest http, ResourceRequest request) => new()
    {
        User = user,
        Verb = VerbOf(http, request),
        ApiGroup = request.Type.Group,
        Resource = request.Type.Plural,
        Subresource = request.Subresource,
        Name = request.Name ?? "",
        // As in Kubernetes' RequestInfo, a namespace is its own namespace, so a RoleBinding can grant reading it.
        Namespace = request.Namespace ?? (request.Type.StorageKey == "namespaces" ? request.Name ?? "" : ""),
    };

    public static ApiException Forbidden(RequestAttributes a)
    {
        var user = a.User.Name;
        if (!a.IsResourceRequest)
        {
            return new ApiException(403, "Forbidden", $"forbidden: User \"{user}\" cannot {a.Verb} path \"{a.Path}\"");
        }

        var resource = a.Subresource.Length == 0 ? a.Resource : a.Resource + "/" + a.Subresource;
        var subject = a.Name.Length == 0 ? $"{a.Resource} is forbidden" : $"{a.Resource} \"{a.Name}\" is forbidden";
        if (a.ApiGroup.Length > 0)
        {
            subject = a.Name.Length == 0 ? $"{a.Resource}.{a.ApiGroup} is forbidden" : $"{a.Resource}.{a.ApiGroup} \"{a.Name}\" is forbidden";
        }

        var scope = a.Namespace.Length == 0 ? "at the cluster scope" : $"in the namespace \"{a.Namespace}\"";
        return new ApiException(403, "Forbidden", $"{subject}: User \"{user}\" cannot {a.Verb} resource \"{resource}\" in API group \"{a.ApiGroup}\" {scope}")
        {
            DetailsKind = a.Resource,
            DetailsName = a.Name.Length == 0 ? null : a.Name,
            DetailsGroup = a.ApiGroup,
        };
    }

    private static string VerbOf(HttpRequest http, ResourceRequest request)
    {
        if (request.Subresource is "exec" or "attach" or "portforward")
        {
            // Streaming upgrades arrive as GET but start processes: Kubernetes asks for create on them.
            return "create";
        }

        return http.Method switch
        {
            "GET" or "HEAD" when http.Query["watch"] is { Count: > 0 } w && (w[0] == "true" || w[0] == "1") => "watch",
            "GET" or "HEAD" => request.Name is null ? "list" : "get",
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => request.Name is null ? "deletecollection" : "delete",
            _ => http.Method.ToLowerInvariant(),
        };
    }
}
