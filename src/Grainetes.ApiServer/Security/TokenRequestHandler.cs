using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.ApiServer.Http;
using Grainetes.Machinery.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Grainetes.ApiServer.Security;

/// <summary>
/// Issues service account tokens: the <c>serviceaccounts/token</c> TokenRequest (<c>kubectl create token</c>),
/// and the token of a <c>kubernetes.io/service-account-token</c> Secret, filled in when the Secret is created
/// as Kubernetes' token controller does.
/// </summary>
public sealed class TokenRequestHandler(ServiceAccountTokens tokens, IGrainFactory grains, RequestBodyReader bodies, IOptions<ApiSecurityOptions> options)
{
    public const string ServiceAccountTokenType = "kubernetes.io/service-account-token";
    private const string NameAnnotation = "kubernetes.io/service-account.name";
    private const string UidAnnotation = "kubernetes.io/service-account.uid";

    public async Task HandleAsync(HttpContext context, ResourceRequest request)
    {
        if (context.Request.Method != "POST")
        {
            throw ApiException.MethodNotAllowed($"{context.Request.Method} is not supported on serviceaccounts/token");
        }

        var body = await bodies.ReadNodeAsync(context.Request, context.RequestAborted) as JsonObject ?? new JsonObject();
        var spec = body["spec"] as JsonObject ?? new JsonObject();
        var seconds = spec["expirationSeconds"] is JsonValue e && e.TryGetValue<long>(out var s) ? s : 3600;
        if (seconds < 600)
        {
            throw ApiException.Invalid("TokenRequest", request.Name!, [new StatusCause("FieldValueInvalid", "spec.expirationSeconds", "may not specify a duration less than 10 minutes")], "authentication.k8s.io");
        }

        var audiences = spec["audiences"] is JsonArray a ? a.Select(x => x?.GetValue<string>() ?? "").Where(x => x.Length > 0).ToList() : [];
        var uid = await AccountUidAsync(request.Namespace!, request.Name!)
            ?? throw ApiException.NotFound("serviceaccounts", request.Name!);
        var token = Issue(request.Namespace!, request.Name!, uid, audiences, TimeSpan.FromSeconds(Math.Min(seconds, 48 * 3600)), out var expires);
        spec["audiences"] = new JsonArray((audiences.Count == 0 ? [options.Value.ServiceAccountAudience] : audiences).Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
        spec["expirationSeconds"] = seconds;
        var response = new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["name"] = request.Name, ["namespace"] = request.Namespace },
            ["spec"] = spec.DeepClone(),
            ["status"] = new JsonObject
            {
                ["token"] = token,
                ["expirationTimestamp"] = expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            },
        };
        await ApiResponses.WriteJsonAsync(context, 201, response);
    }

    /// <summary>Fills a new service account token Secret's token, namespace and uid annotation; other Secrets pass untouched.</summary>
    public async Task FillSecretAsync(JsonObject secret, string @namespace)
    {
        if (secret["type"]?.GetValue<string>() != ServiceAccountTokenType)
        {
            return;
        }

        var annotations = secret["metadata"]?["annotations"] as JsonObject;
        var account = annotations?[NameAnnotation]?.GetValue<string>();
        if (string.IsNullOrEmpty(account))
        {
            throw ApiException.Invalid("Secret", secret["metadata"]?["name"]?.GetValue<string>() ?? "", [new StatusCause("FieldValueRequired", "metadata.annotations[kubernetes.io/service-account.name]", "Required value")]);
        }

        var uid = await AccountUidAsync(@namespace, account)
            ?? throw ApiException.NotFound("serviceaccounts", account);
        annotations![UidAnnotation] = uid;
        var data = secret["data"] as JsonObject ?? new JsonObject();
        secret["data"] = data;
        // Legacy secret-bound tokens do not expire; a year stands in, and deleting the account revokes it.
        data["token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(Issue(@namespace, account, uid, [], TimeSpan.FromDays(365), out _)));
        data["namespace"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(@namespace));
        if (options.Value.ClientCaFile is { } ca && File.Exists(ca))
        {
            data["ca.crt"] = Convert.ToBase64String(await File.ReadAllBytesAsync(ca));
        }
    }

    private string Issue(string ns, string name, string uid, IReadOnlyList<string> audiences, TimeSpan lifetime, out DateTimeOffset expires) =>
        tokens.CanIssue
            ? tokens.Issue(ns, name, uid, audiences, lifetime, out expires)
            : throw ApiException.ServiceUnavailable("this API server has no service account signing key");

    private Task<string?> AccountUidAsync(string ns, string name) => ServiceAccountLookup.UidAsync(grains, ns, name);
}
