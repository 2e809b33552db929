using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Errors;

/// <summary>
/// A request the API refuses: carries everything needed to answer with a Kubernetes <c>Status</c> body.
/// Thrown anywhere below the HTTP layer; the API server turns it into the response.
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException(int code, string reason, string message, IReadOnlyList<StatusCause>? causes = null)
        : base(message)
    {
        // State lives in Exception.Data: Orleans carries Data across silos, not custom fields.
        Data[CodeKey] = code;
        Data[ReasonKey] = reason;
        if (causes is { Count: > 0 })
        {
            Data[CausesKey] = JsonSerializer.Serialize(causes.Select(c => new[] { c.Reason, c.Field, c.Message }).ToArray());
        }
    }

    private const string CodeKey = "grainetes.code";
    private const string ReasonKey = "grainetes.reason";
    private const string CausesKey = "grainetes.causes";
    private const string KindKey = "grainetes.kind";
    private const string NameKey = "grainetes.name";
    private const string GroupKey = "grainetes.group";
    private const string RetryKey = "grainetes.retry";

    /// <summary>HTTP status code (400, 404, 409, 410, 413, 422, ...).</summary>
    public int Code => Data[CodeKey] is int code ? code : 500;

    /// <summary>Kubernetes reason: BadRequest, NotFound, AlreadyExists, Conflict, Gone, Invalid, RequestEntityTooLarge, ...</summary>
    public string Reason => Data[ReasonKey] as string ?? "InternalError";

    public IReadOnlyList<StatusCause> Causes =>
        Data[CausesKey] is string json
            ? JsonSerializer.Deserialize<string[][]>(json)!.Select(c => new StatusCause(c[0], c[1], c[2])).ToList()
            : [];

    /// <summary>Object kind, name and group for <c>Status.details</c>; optional.</summary>
    public string? DetailsKind
    {
        get => Data[KindKey] as string;
        init => Data[KindKey] = value;
    }

    public string? DetailsName
    {
        get => Data[NameKey] as string;
        init => Data[NameKey] = value;
    }

    public string? DetailsGroup
    {
        get => Data[GroupKey] as string;
        init => Data[GroupKey] = value;
    }

    /// <summary>Seconds a client should wait before retrying (429/503), sent as Retry-After.</summary>
    public int? RetryAfterSeconds
    {
        get => Data[RetryKey] as int?;
        init => Data[RetryKey] = value;
    }

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException NotFound(string resource, string name, string group = "") =>
        new(404, "NotFound", $"{ResourceLabel(resource, group)} \"{name}\" not found")
        {
            DetailsKind = resource,
            DetailsName = name,
            DetailsGroup = group,
        };

    public static ApiException AlreadyExists(string resource, string name, string group = "") =>
        new(409, "AlreadyExists", $"{ResourceLabel(resource, group)} \"{name}\" already exists")
        {
            DetailsKind = resource,
            DetailsName = name,
            DetailsGroup = group,
        };

    public static ApiException Conflict(string resource, string name, string detail, string group = "") =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {ResourceLabel(resource, group)} \"{name}\": {detail}")
        {
            DetailsKind = resource,
            DetailsName = name,
            DetailsGroup = group,
        };

    public static ApiException Invalid(string kind, string name, IReadOnlyList<StatusCause> causes, string group = "") =>
        new(422, "Invalid", $"{kind} \"{name}\" is invalid: {string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}"))}", causes)
        {
            DetailsKind = kind,
            DetailsName = name,
            DetailsGroup = group,
        };

    public static ApiException Gone(string message) => new(410, "Expired", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json, application/apply-patch+yaml; got \"{contentType}\"");

    public static ApiException TooLarge(long limit) =>
        new(413, "RequestEntityTooLarge", $"the request body is larger than the limit of {limit} bytes");

    public static ApiException ServiceUnavailable(string message, int retryAfterSeconds = 1) =>
        new(503, "ServiceUnavailable", message) { RetryAfterSeconds = retryAfterSeconds };

    /// <summary>The <c>meta.k8s.io/v1 Status</c> body for this error.</summary>
    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
            ["code"] = Code,
        };
        if (DetailsKind is not null || DetailsName is not null || Causes.Count > 0 || RetryAfterSeconds is not null)
        {
            var details = new JsonObject();
            if (DetailsName is not null) details["name"] = DetailsName;
            if (!string.IsNullOrEmpty(DetailsGroup)) details["group"] = DetailsGroup;
            if (DetailsKind is not null) details["kind"] = DetailsKind;
            if (Causes.Count > 0)
            {
                details["causes"] = new JsonArray(Causes.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = c.Reason,
                    ["message"] = c.Message,
                    ["field"] = c.Field,
                }).ToArray());
            }

            if (RetryAfterSeconds is { } retry) details["retryAfterSeconds"] = retry;
            status["details"] = details;
        }

        return status;
    }

    private static string ResourceLabel(string resource, string group) =>
        string.IsNullOrEmpty(group) ? resource : $"{resource}.{group}";
}
