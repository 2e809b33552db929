using System.Text.Json.Nodes;
using Grainetes.Machinery.Resources;
using k8s.Models;

namespace Grainetes.Machinery.OpenApi;

/// <summary>
/// The REST paths and operations of resources, in OpenAPI v3 or Swagger 2.0 form. kubectl decides whether the
/// server validates fields itself by finding <c>fieldValidation</c> among the parameters of the PATCH operation
/// carrying the kind's <c>x-kubernetes-group-version-kind</c>, and uses strategic merge patch only when that
/// operation accepts <c>application/strategic-merge-patch+json</c>. Query parameters are inlined because
/// kubectl reads their names directly and does not follow references.
/// </summary>
internal sealed class PathBuilder
{
    private static readonly string[] PatchTypes =
        ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"];

    private static readonly string[] Produces = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];

    private readonly SchemaBuilder schemas;
    private readonly bool v3;

    public PathBuilder(SchemaBuilder schemas, bool v3)
    {
        this.schemas = schemas;
        this.v3 = v3;
    }

    public SortedDictionary<string, JsonObject> Paths { get; } = new(StringComparer.Ordinal);

    public void Add(ResourceType type)
    {
        var prefix = type.Group.Length == 0 ? $"/api/{type.Version}" : $"/apis/{type.Group}/{type.Version}";
        var collection = type.Namespaced ? $"{prefix}/namespaces/{{namespace}}/{type.Plural}" : $"{prefix}/{type.Plural}";
        var item = collection + "/{name}";
        var kind = new Gvk(type.Group, type.Version, type.Kind);
        var listType = type.ModelType.Assembly.GetType($"{type.ModelType.FullName}List") ?? typeof(object);
        var opId = OperationIdPart(type);
        var ns = type.Namespaced ? "Namespaced" : "";

        Paths[collection] = PathItem(type.Namespaced, named: false, new JsonObject
        {
            ["get"] = Operation($"list{opId}{ns}{type.Kind}", $"list or watch objects of kind {type.Kind}", "list", kind, ListParameters(), body: null, listType),
            ["post"] = Operation($"create{opId}{ns}{type.Kind}", $"create a {type.Kind}", "post", kind, WriteParameters(), Body(type.ModelType), type.ModelType),
            ["delete"] = Operation($"delete{opId}Collection{ns}{type.Kind}", $"delete collection of {type.Kind}", "deletecollection", kind,
                [.. DeleteParameters(), .. ListParameters()], Body(typeof(V1DeleteOptions)), typeof(V1Status)),
        });

        if (type.Namespaced)
        {
            Paths[$"{prefix}/{type.Plural}"] = PathItem(namespaced: false, named: false, new JsonObject
            {
                ["get"] = Operation($"list{opId}{type.Kind}ForAllNamespaces", $"list or watch objects of kind {type.Kind}", "list", kind, ListParameters(), body: null, listType),
            });
        }

        Paths[item] = PathItem(type.Namespaced, named: true, new JsonObject
        {
            ["get"] = Operation($"read{opId}{ns}{type.Kind}", $"read the specified {type.Kind}", "get", kind, [], body: null, type.ModelType),
            ["put"] = Operation($"replace{opId}{ns}{type.Kind}", $"replace the specified {type.Kind}", "put", kind, WriteParameters(), Body(type.ModelType), type.ModelType),
            ["patch"] = Operation($"patch{opId}{ns}{type.Kind}", $"partially update the specified {type.Kind}", "patch", kind, PatchParameters(), PatchBody(), type.ModelType),
            ["delete"] = Operation($"delete{opId}{ns}{type.Kind}", $"delete a {type.Kind}", "delete", kind, DeleteParameters(), Body(typeof(V1DeleteOptions)), typeof(V1Status)),
        });

        if (type.HasStatus) AddSubresource(item + "/status", $"{opId}{ns}{type.Kind}Status", $"status of the specified {type.Kind}", type.Namespaced, kind, type.ModelType);
        if (type.HasScale) AddSubresource(item + "/scale", $"{opId}{ns}{type.Kind}Scale", $"scale of the specified {type.Kind}", type.Namespaced, new Gvk("autoscaling", "v1", "Scale"), typeof(V1Scale));
    }

    private void AddSubresource(string path, string opId, string what, bool namespaced, Gvk kind, Type model)
    {
        Paths[path] = PathItem(namespaced, named: true, new JsonObject
        {
            ["get"] = Operation("read" + opId, "read " + what, "get", kind, [], body: null, model),
            ["put"] = Operation("replace" + opId, "replace " + what, "put", kind, WriteParameters(), Body(model), model),
            ["patch"] = Operation("patch" + opId, "partially update " + what, "patch", kind, PatchParameters(), PatchBody(), model),
        });
    }

    private JsonObject PathItem(bool namespaced, bool named, JsonObject operations)
    {
        var parameters = new JsonArray();
        if (named) parameters.Add(PathParameter("name", "name of the object"));
        if (namespaced) parameters.Add(PathParameter("namespace", "object name and auth scope, such as for teams and projects"));
        parameters.Add(Query("pretty", "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."));
        var item = new JsonObject();
        foreach (var (method, operation) in operations.ToList())
        {
            operations.Remove(method);
            item[method] = operation;
        }

        item["parameters"] = parameters;
        return item;
    }

    private JsonObject Operation(string operationId, string description, string action, Gvk kind, JsonNode[] parameters, (string[] Types, Type Schema)? body, Type response)
    {
        var operation = new JsonObject
        {
            ["description"] = description,
            ["operationId"] = operationId,
        };
        var allParameters = new JsonArray(parameters.Select(p => p.DeepClone()).ToArray());
        if (v3)
        {
            operation["parameters"] = allParameters;
            if (body is { } b)
            {
                var content = new JsonObject();
                foreach (var mediaType in b.Types) content[mediaType] = new JsonObject { ["schema"] = schemas.Ref(b.Schema) };
                operation["requestBody"] = new JsonObject { ["content"] = content, ["required"] = action != "delete" && action != "deletecollection" };
            }

            var responseContent = new JsonObject();
            foreach (var mediaType in Produces) responseContent[mediaType] = new JsonObject { ["schema"] = schemas.Ref(response) };
            operation["responses"] = new JsonObject
            {
                ["200"] = new JsonObject { ["description"] = "OK", ["content"] = responseContent },
                ["401"] = new JsonObject { ["description"] = "Unauthorized" },
            };
        }
        else
        {
            if (body is { } b)
            {
                operation["consumes"] = Strings(b.Types);
                allParameters.Insert(0, new JsonObject
                {
                    ["name"] = "body",
                    ["in"] = "body",
                    ["required"] = action != "delete" && action != "deletecollection",
                    ["schema"] = schemas.Ref(b.Schema),
                });
            }
            else
            {
                operation["consumes"] = Strings(["*/*"]);
            }

            operation["produces"] = Strings(Produces);
            operation["schemes"] = Strings(["https"]);
            operation["parameters"] = allParameters;
            operation["responses"] = new JsonObject
            {
                ["200"] = new JsonObject { ["description"] = "OK", ["schema"] = schemas.Ref(response) },
                ["401"] = new JsonObject { ["description"] = "Unauthorized" },
            };
        }

        operation["x-kubernetes-action"] = action;
        operation["x-kubernetes-group-version-kind"] = new JsonObject
        {
            ["group"] = kind.Group,
            ["version"] = kind.Version,
            ["kind"] = kind.Kind,
        };
        return operation;
    }

    private (string[] Types, Type Schema) Body(Type schema) => (["application/json", "application/yaml"], schema);

    private (string[] Types, Type Schema) PatchBody() => (PatchTypes, typeof(V1Patch));

    private JsonNode[] WriteParameters() =>
    [
        Query("dryRun", "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed"),
        Query("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
        Query("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn (the default) and Strict."),
    ];

    private JsonNode[] PatchParameters() =>
    [
        .. WriteParameters(),
        Query("force", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people.", "boolean"),
    ];

    private JsonNode[] DeleteParameters() =>
    [
        Query("dryRun", "When present, indicates that modifications should not be persisted."),
        Query("gracePeriodSeconds", "The duration in seconds before the object should be deleted.", "integer"),
        Query("orphanDependents", "Deprecated: please use the PropagationPolicy.", "boolean"),
        Query("propagationPolicy", "Whether and how garbage collection will be performed: Orphan, Background or Foreground."),
    ];

    private JsonNode[] ListParameters() =>
    [
        Query("allowWatchBookmarks", "allowWatchBookmarks requests watch events with type \"BOOKMARK\".", "boolean"),
        Query("continue", "The continue option should be set when retrieving more results from the server."),
        Query("fieldSelector", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
        Query("labelSelector", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
        Query("limit", "limit is a maximum number of responses to return for a list call.", "integer"),
        Query("resourceVersion", "resourceVersion sets a constraint on what resource versions a request may be served from."),
        Query("resourceVersionMatch", "resourceVersionMatch determines how resourceVersion is applied to list calls."),
        Query("sendInitialEvents", "`sendInitialEvents=true` may be set together with `watch=true`.", "boolean"),
        Query("timeoutSeconds", "Timeout for the list/watch call.", "integer"),
        Query("watch", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.", "boolean"),
    ];

    private JsonObject Query(string name, string description, string type = "string")
    {
        var parameter = new JsonObject { ["name"] = name, ["in"] = "query", ["description"] = description };
        if (v3)
        {
            parameter["schema"] = new JsonObject { ["type"] = type, ["uniqueItems"] = true };
        }
        else
        {
            parameter["type"] = type;
            parameter["uniqueItems"] = true;
        }

        return parameter;
    }

    private JsonObject PathParameter(string name, string description)
    {
        var parameter = new JsonObject { ["name"] = name, ["in"] = "path", ["description"] = description, ["required"] = true };
        if (v3) parameter["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true };
        else
        {
            parameter["type"] = "string";
            parameter["uniqueItems"] = true;
        }

        return parameter;
    }

    private static string OperationIdPart(ResourceType type)
    {
        var group = type.Group.Length == 0 ? "Core" : string.Concat(type.Group.Split('.')[0] is var g && g.Length > 0 ? char.ToUpperInvariant(g[0]) + g[1..] : "");
        return group + char.ToUpperInvariant(type.Version[0]) + type.Version[1..];
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)v).ToArray());

    private readonly record struct Gvk(string Group, string Version, string Kind);
}
