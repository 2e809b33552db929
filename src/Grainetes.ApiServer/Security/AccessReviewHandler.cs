using System.Text.Json.Nodes;
using Grainetes.ApiServer.Http;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Security;
using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Security;

/// <summary>
/// The review APIs that are not stored: <c>SelfSubjectAccessReview</c> (<c>kubectl auth can-i</c>),
/// <c>SelfSubjectRulesReview</c> (<c>can-i --list</c>), <c>SubjectAccessReview</c>,
/// <c>LocalSubjectAccessReview</c> and <c>SelfSubjectReview</c> (<c>kubectl auth whoami</c>).
/// </summary>
public sealed class AccessReviewHandler(ApiAuthorizer authorizer, RequestBodyReader bodies)
{
    public static bool Handles(string group) => group is "authorization.k8s.io" or "authentication.k8s.io";

    public async Task HandleAsync(HttpContext context, string group, string version, IReadOnlyList<string> segments)
    {
        string? ns = null;
        var rest = segments;
        if (rest.Count == 3 && rest[0] == "namespaces")
        {
            ns = rest[1];
            rest = rest.Skip(2).ToList();
        }

        if (version != "v1" || rest.Count != 1)
        {
            throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        }

        var resource = rest[0];
        var known = (group, resource, ns is null) switch
        {
            ("authorization.k8s.io", "selfsubjectaccessreviews" or "selfsubjectrulesreviews" or "subjectaccessreviews", true) => true,
            ("authorization.k8s.io", "localsubjectaccessreviews", false) => true,
            ("authentication.k8s.io", "selfsubjectreviews", true) => true,
            _ => false,
        };
        if (!known)
        {
            throw new ApiException(404, "NotFound", $"the server could not find the requested resource (resource {resource} in {group}/{version})");
        }

        if (context.Request.Method != "POST")
        {
            throw ApiException.MethodNotAllowed($"{context.Request.Method} is not supported on {resource}");
        }

        var caller = RequestUser.Of(context);
        var self = new RequestAttributes { User = caller, Verb = "create", ApiGroup = group, Resource = resource, Namespace = ns ?? "" };
        if (!(await authorizer.DecideAsync(self)).Allowed)
        {
            throw ApiAuthorizer.Forbidden(self);
        }

        var review = await bodies.ReadNodeAsync(context.Request, context.RequestAborted) as JsonObject
            ?? throw ApiException.BadRequest("the request body must be a JSON or YAML object");
        var spec = review["spec"] as JsonObject ?? new JsonObject();
        JsonObject status = resource switch
        {
            "selfsubjectreviews" => new JsonObject { ["userInfo"] = UserJson(caller) },
            "selfsubjectrulesreviews" => RulesStatus(caller, Str(spec, "namespace") ?? ""),
            "selfsubjectaccessreviews" => await AccessStatusAsync(caller, spec, null),
            "localsubjectaccessreviews" => await AccessStatusAsync(SubjectOf(spec), spec, ns),
            _ => await AccessStatusAsync(SubjectOf(spec), spec, null),
        };
        review["apiVersion"] = group + "/" + version;
        review["status"] = status;
        review["metadata"] ??= new JsonObject();
        await ApiResponses.WriteJsonAsync(context, 201, review);
    }

    private async Task<JsonObject> AccessStatusAsync(UserInfo user, JsonObject spec, string? forcedNamespace)
    {
        RequestAttributes attributes;
        if (spec["resourceAttributes"] is JsonObject r)
        {
            var ns = Str(r, "namespace") ?? "";
            if (forcedNamespace is not null && ns.Length > 0 && ns != forcedNamespace)
            {
                throw ApiException.BadRequest("spec.resourceAttributes.namespace must match the namespace of a LocalSubjectAccessReview");
            }

            attributes = new RequestAttributes
            {
                User = user,
                Verb = Str(r, "verb") ?? "",
                ApiGroup = Str(r, "group") ?? "",
                Resource = Str(r, "resource") ?? "",
                Subresource = Str(r, "subresource") ?? "",
                Name = Str(r, "name") ?? "",
                Namespace = forcedNamespace ?? ns,
            };
        }
        else if (spec["nonResourceAttributes"] is JsonObject n)
        {
            attributes = new RequestAttributes { User = user, Verb = Str(n, "verb") ?? "", IsResourceRequest = false, Path = Str(n, "path") ?? "" };
        }
        else
        {
            throw ApiException.Invalid("SelfSubjectAccessReview", "", [new StatusCause("FieldValueRequired", "spec", "exactly one of nonResourceAttributes or resourceAttributes must be specified")], "authorization.k8s.io");
        }

        var decision = await authorizer.DecideAsync(attributes);
        var status = new JsonObject { ["allowed"] = decision.Allowed };
        if (decision.Reason.Length > 0)
        {
            status["reason"] = decision.Reason;
        }

        return status;
    }

    private JsonObject RulesStatus(UserInfo user, string ns)
    {
        var rules = authorizer.RulesFor(user, ns);
        return new JsonObject
        {
            ["resourceRules"] = new JsonArray(rules.Where(r => r.Resources.Count > 0).Select(r => (JsonNode?)new JsonObject
            {
                ["verbs"] = Array(r.Verbs),
                ["apiGroups"] = Array(r.ApiGroups),
                ["resources"] = Array(r.Resources),
                ["resourceNames"] = Array(r.ResourceNames),
            }).ToArray()),
            ["nonResourceRules"] = new JsonArray(rules.Where(r => r.NonResourceUrls.Count > 0).Select(r => (JsonNode?)new JsonObject
            {
                ["verbs"] = Array(r.Verbs),
                ["nonResourceURLs"] = Array(r.NonResourceUrls),
            }).ToArray()),
            ["incomplete"] = false,
        };
    }

    private static UserInfo SubjectOf(JsonObject spec)
    {
        var user = Str(spec, "user") ?? "";
        var groups = spec["groups"] is JsonArray g ? g.Select(x => x?.GetValue<string>() ?? "").ToArray() : [];
        return new UserInfo(user, Str(spec, "uid"), groups);
    }

    private static JsonObject UserJson(UserInfo user)
    {
        var json = new JsonObject { ["username"] = user.Name, ["groups"] = Array(user.Groups) };
        if (user.Uid is not null)
        {
            json["uid"] = user.Uid;
        }

        return json;
    }

    private static JsonArray Array(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static string? Str(JsonObject obj, string name) => obj[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
