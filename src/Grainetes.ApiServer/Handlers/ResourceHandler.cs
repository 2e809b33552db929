using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Abstractions.Telemetry;
using Grainetes.ApiServer.Http;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Printing;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Selectors;
using Grainetes.Machinery.Validation;
using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Handlers;

/// <summary>
/// The REST verbs on resources: a thin translation from HTTP to object and collection grain calls.
/// Validation, versioning and storage happen in the grains; this layer parses, checks the URL against the
/// body, and renders JSON or Tables. Each request is a span (its verb and resource) under the HTTP request's, so the
/// grain calls it makes, and what their commits wake, follow in the same trace.
/// </summary>
public sealed class ResourceHandler(
    IGrainFactory grains,
    RequestBodyReader bodies,
    UnknownFieldDetector unknownFields,
    TablePrinter tables,
    WatchHandler watches,
    Security.TokenRequestHandler tokenRequests,
    Streaming.PodStreamingHandler streams,
    GrainetesTelemetry telemetry,
    TimeProvider time,
    Microsoft.Extensions.Hosting.IHostApplicationLifetime lifetime)
{
    private const int MaxUnknownFieldWarnings = 20;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Type, System.Reflection.MethodInfo> decoders = new();

    public async Task HandleAsync(HttpContext context, ResourceRequest request)
    {
        var info = new ApiRequestInfo(Verb(context.Request, request), request.Type.StorageKey, request.Subresource);
        context.Features.Set(info);
        using var span = telemetry.StartSpan(info.Verb + " " + info.Resource);
        if (span is { IsAllDataRequested: true })
        {
            span.SetTag("k8s.verb", info.Verb);
            span.SetTag("k8s.resource", info.Resource);
            span.SetTag("k8s.subresource", info.Subresource);
            span.SetTag("k8s.namespace", request.Namespace);
            span.SetTag("k8s.name", request.Name);
        }

        await DispatchAsync(context, request);
    }

    /// <summary>The verb kube-apiserver would count the request under.</summary>
    private static string Verb(HttpRequest http, ResourceRequest request) => (http.Method, request.IsCollection) switch
    {
        ("GET", _) when IsWatch(http) => "watch",
        ("GET", true) => "list",
        ("GET", false) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "deletecollection",
        ("DELETE", false) => "delete",
        _ => http.Method.ToLowerInvariant(),
    };

    private async Task DispatchAsync(HttpContext context, ResourceRequest request)
    {
        var method = context.Request.Method;
        if (request.IsCollection)
        {
            switch (method)
            {
                case "GET" when IsWatch(context.Request):
                    await watches.WatchAsync(context, request);
                    return;
                case "GET":
                    await ListAsync(context, request);
                    return;
                case "POST":
                    await CreateAsync(context, request);
                    return;
                case "DELETE":
                    await DeleteCollectionAsync(context, request);
                    return;
                default:
                    throw ApiException.MethodNotAllowed($"{method} is not supported on a collection of {request.Type.Plural}");
            }
        }

        switch (method)
        {
            case "GET" when IsWatch(context.Request):
                await watches.WatchAsync(context, request with { Name = null }, request.Name);
                return;
            case "GET" or "POST" when request.Subresource is "exec" or "attach" or "portforward":
                await streams.HandleAsync(context, request);
                return;
            case "GET" when request.Subresource == "log":
                await LogsAsync(context, request);
                return;
            case "GET":
                await GetAsync(context, request);
                return;
            case "PUT":
                await UpdateAsync(context, request);
                return;
            case "PATCH":
                await PatchAsync(context, request);
                return;
            case "DELETE":
                await DeleteAsync(context, request);
                return;
            case "POST" when request.Subresource == "binding":
                await BindAsync(context, request);
                return;
            default:
                throw ApiException.MethodNotAllowed($"{method} is not supported on {request.Type.Plural}");
        }
    }

    private static bool IsWatch(HttpRequest request) =>
        request.Query["watch"] is { Count: > 0 } w && (w[0] == "true" || w[0] == "1");

    private async Task GetAsync(HttpContext context, ResourceRequest request)
    {
        var json = await ObjectGrain(request).Get() ?? throw ApiException.NotFound(request.Type.Plural, request.Name!, request.Type.Group);
        if (request.Subresource == "scale")
        {
            await ApiResponses.WriteJsonAsync(context, 200, ScaleSubresource.ToScale(JsonNode.Parse(json)!.AsObject()));
            return;
        }

        if (MediaTypes.WantsTable(context.Request))
        {
            var table = tables.ToTable(request.Type, [JsonNode.Parse(json)!.AsObject()], null, null, context.Request.Query["includeObject"], time.GetUtcNow());
            await ApiResponses.WriteJsonAsync(context, 200, table);
            return;
        }

        await ApiResponses.WriteJsonTextAsync(context, 200, VersionConversion.FromStorage(request.Type, json));
    }

    /// <summary><c>kubectl logs</c>: streamed from the node agent of the pod's node, wherever that silo is.</summary>
    private async Task LogsAsync(HttpContext context, ResourceRequest request)
    {
        var json = await ObjectGrain(request).Get() ?? throw ApiException.NotFound(request.Type.Plural, request.Name!);
        var pod = JsonNode.Parse(json)!;
        var node = (string?)pod["spec"]?["nodeName"];
        if (string.IsNullOrEmpty(node))
        {
            throw ApiException.BadRequest($"pod {request.Name} does not have a host assigned");
        }

        var query = context.Request.Query;
        var container = (string?)query["container"];
        var names = (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => (string?)c?["name"]).OfType<string>().ToList();
        var initNames = (pod["spec"]?["initContainers"] as JsonArray ?? []).Select(c => (string?)c?["name"]).OfType<string>().ToList();
        if (string.IsNullOrEmpty(container))
        {
            container = names.Count == 1 ? names[0] : throw ApiException.BadRequest(
                $"a container name must be specified for pod {request.Name}, choose one of: [{string.Join(" ", names)}]");
        }
        else if (!names.Contains(container) && !initNames.Contains(container))
        {
            throw ApiException.BadRequest($"container {container} is not valid for pod {request.Name}");
        }

        int? tail = null;
        if (query["tailLines"] is { Count: > 0 } tailText)
        {
            tail = int.TryParse(tailText[0], NumberStyles.None, CultureInfo.InvariantCulture, out var t)
                ? t
                : throw ApiException.BadRequest($"tailLines: Invalid value: \"{tailText[0]}\": must be a non-negative integer");
        }
        var follow = (string?)query["follow"] == "true";
        var previous = (string?)query["previous"] == "true";
        var timestamps = (string?)query["timestamps"] == "true";
        var lines = grains.GetGrain<Grainetes.Abstractions.Controllers.INodeAgentGrain>(node)
            .StreamLogs(request.Namespace!, request.Name!, container, previous, tail, follow, timestamps);
        var started = false;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        try
        {
            await foreach (var line in lines.WithCancellation(ended.Token))
            {
                if (!started)
                {
                    context.Response.StatusCode = 200;
                    context.Response.ContentType = "text/plain";
                    started = true;
                }

                await context.Response.WriteAsync(line + "\n", context.RequestAborted);
                if (follow)
                {
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }
            }
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            // A followed log ends when the host stops, as a watch does, so the server's shutdown does not wait for it.
        }

        if (!started)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/plain";
        }
    }

    private async Task ListAsync(HttpContext context, ResourceRequest request)
    {
        var query = context.Request.Query;
        var limit = 0;
        if (query["limit"] is { Count: > 0 } l && !int.TryParse(l[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out limit))
        {
            throw ApiException.BadRequest($"limit must be an integer, not \"{l[0]}\"");
        }

        var labelSelector = (string?)query["labelSelector"];
        var fieldSelector = (string?)query["fieldSelector"];
        LabelSelector.Parse(labelSelector);
        FieldSelector.Parse(fieldSelector);
        var result = await Collection(request).List(new ListRequest
        {
            Namespace = request.Namespace,
            LabelSelector = labelSelector,
            FieldSelector = fieldSelector,
            Limit = Math.Max(0, limit),
            Continue = query["continue"],
        });

        var rv = result.ResourceVersion.ToString(CultureInfo.InvariantCulture);
        if (MediaTypes.WantsTable(context.Request))
        {
            var items = result.Items.Select(i => JsonNode.Parse(i)!.AsObject()).ToList();
            var table = tables.ToTable(request.Type, items, rv, result.Continue, query["includeObject"], time.GetUtcNow());
            if (result.RemainingItemCount > 0)
            {
                table["metadata"]!["remainingItemCount"] = result.RemainingItemCount;
            }

            await ApiResponses.WriteJsonAsync(context, 200, table);
            return;
        }

        // Items are stored JSON: write them through rather than parsing and re-serializing.
        context.Response.StatusCode = 200;
        context.Response.ContentType = ApiResponses.Json;
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(16 * 1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("kind", request.Type.ListKind);
            writer.WriteString("apiVersion", request.Type.ApiVersion);
            writer.WriteStartObject("metadata");
            writer.WriteString("resourceVersion", rv);
            if (result.Continue is not null)
            {
                writer.WriteString("continue", result.Continue);
                writer.WriteNumber("remainingItemCount", result.RemainingItemCount);
            }

            writer.WriteEndObject();
            writer.WriteStartArray("items");
            foreach (var item in result.Items)
            {
                writer.WriteRawValue(VersionConversion.FromStorage(request.Type, item), skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    private async Task CreateAsync(HttpContext context, ResourceRequest request)
    {
        var type = request.Type;
        var obj = await ReadObjectAsync(context, request);
        var meta = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = meta;
        var name = (string?)meta["name"];
        if (string.IsNullOrEmpty(name))
        {
            var prefix = (string?)meta["generateName"];
            if (string.IsNullOrEmpty(prefix))
            {
                throw ApiException.Invalid(type.Kind, "", [new StatusCause("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")], type.Group);
            }

            name = ObjectNames.Generate(prefix);
            meta["name"] = name;
        }

        CheckName(type, name);
        if (type.Namespaced)
        {
            await RequireNamespaceAsync(request.Namespace!, forWrite: true);
        }

        if (type.StorageKey == "secrets")
        {
            await tokenRequests.FillSecretAsync(obj, request.Namespace!);
        }

        var json = await grains.GetGrain<IObjectGrain>(new ObjectKey(type.StorageKey, request.Namespace ?? "", name).GrainKey)
            .Create(VersionConversion.ToStorage(type, obj).ToJsonString(), WriteOptionsFrom(context));
        await ApiResponses.WriteJsonTextAsync(context, 201, VersionConversion.FromStorage(type, json));
    }

    private async Task UpdateAsync(HttpContext context, ResourceRequest request)
    {
        var obj = await ReadObjectAsync(context, request, request.Subresource == "scale");
        var bodyName = (string?)obj["metadata"]?["name"];
        if (bodyName is not null && bodyName != request.Name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({request.Name})");
        }

        if (request.Subresource == "scale")
        {
            var scale = await ObjectGrain(request).Update(obj.ToJsonString(), WriteOptionsFrom(context) with { Subresource = request.Subresource });
            await ApiResponses.WriteJsonTextAsync(context, 200, scale);
            return;
        }

        var json = await ObjectGrain(request).Update(VersionConversion.ToStorage(request.Type, obj).ToJsonString(), WriteOptionsFrom(context) with { Subresource = request.Subresource });
        await ApiResponses.WriteJsonTextAsync(context, 200, VersionConversion.FromStorage(request.Type, json));
    }

    private async Task PatchAsync(HttpContext context, ResourceRequest request)
    {
        var contentType = context.Request.ContentType?.Split(';')[0].Trim() ?? "";
        if (contentType is not ("application/merge-patch+json" or "application/strategic-merge-patch+json" or "application/json-patch+json" or "application/apply-patch+yaml" or "application/apply-patch+json"))
        {
            throw ApiException.UnsupportedMediaType(contentType);
        }

        var patch = await bodies.ReadNodeAsync(context.Request, context.RequestAborted);
        var options = WriteOptionsFrom(context) with { Subresource = request.Subresource, PatchType = contentType };
        if (contentType.StartsWith("application/apply-patch", StringComparison.Ordinal))
        {
            if (string.IsNullOrEmpty(options.FieldManager))
            {
                throw ApiException.BadRequest("PATCH, application/apply-patch+yaml requires fieldManager to be set");
            }

            if (patch is JsonObject applied)
            {
                CheckUnknownFields(context, request.Type, applied);
            }
        }

        if (request.Type.Namespaced)
        {
            await RequireNamespaceAsync(request.Namespace!, forWrite: false);
        }

        if (request.Type.StoredAs is not null)
        {
            await ApiResponses.WriteJsonTextAsync(context, 200, await ConvertedPatchAsync(request, patch, options));
            return;
        }

        var json = await ObjectGrain(request).Patch(patch.ToJsonString(), options);
        await ApiResponses.WriteJsonTextAsync(context, 200, json);
    }

    /// <summary>
    /// A patch in a version served by conversion: applied to the object as that version sees it, then stored as an
    /// update conditional on the version read (retried when someone else wrote in between), as Kubernetes applies
    /// patches in the request's version.
    /// </summary>
    private async Task<string> ConvertedPatchAsync(ResourceRequest request, JsonNode patch, WriteOptions options)
    {
        var type = request.Type;
        var grain = ObjectGrain(request);
        var patchType = options.PatchType!;
        var apply = patchType.StartsWith("application/apply-patch", StringComparison.Ordinal);
        for (var attempt = 1; ; attempt++)
        {
            var liveJson = await grain.Get();
            if (liveJson is null)
            {
                if (apply && patch is JsonObject applied && request.Subresource.Length == 0)
                {
                    var created = Grainetes.Machinery.Patching.ServerSideApply.Apply(null, applied, type.ModelType, options.FieldManager ?? "unknown");
                    var createdJson = await grain.Create(VersionConversion.ToStorage(type, created).ToJsonString(), options with { PatchType = null });
                    return VersionConversion.FromStorage(type, createdJson);
                }

                throw ApiException.NotFound(type.Plural, request.Name!, type.Group);
            }

            var live = VersionConversion.FromStorage(type, JsonNode.Parse(liveJson)!.AsObject());
            var patched = Grainetes.Machinery.Patching.PatchApplier.Apply(live, patchType, patch, type.ModelType, options.FieldManager);
            Grainetes.Machinery.Patching.PatchedIdentity.Require(patched, request.Name!, request.Namespace);
            try
            {
                var saved = await grain.Update(VersionConversion.ToStorage(type, patched).ToJsonString(), options with { PatchType = null });
                return VersionConversion.FromStorage(type, saved);
            }
            catch (ApiException ex) when (ex.Code == 409 && attempt < 5)
            {
                // Written by someone else since the read: patch the newer object.
            }
        }
    }

    private async Task DeleteAsync(HttpContext context, ResourceRequest request)
    {
        var options = await ReadDeleteOptionsAsync(context);
        var result = await ObjectGrain(request).Delete(options);
        await ApiResponses.WriteJsonTextAsync(context, result.Removed ? 200 : 202, Served(request.Type, result.Json));
    }

    private async Task DeleteCollectionAsync(HttpContext context, ResourceRequest request)
    {
        var options = await ReadDeleteOptionsAsync(context);
        var query = context.Request.Query;
        var list = await Collection(request).List(new ListRequest
        {
            Namespace = request.Namespace,
            LabelSelector = query["labelSelector"],
            FieldSelector = query["fieldSelector"],
        });
        var deleted = new JsonArray();
        foreach (var item in list.Items)
        {
            var obj = JsonNode.Parse(item)!.AsObject();
            var key = new ObjectKey(request.Type.StorageKey, (string?)obj["metadata"]?["namespace"] ?? "", (string)obj["metadata"]!["name"]!);
            try
            {
                var result = await grains.GetGrain<IObjectGrain>(key.GrainKey).Delete(options);
                deleted.Add(JsonNode.Parse(Served(request.Type, result.Json)));
            }
            catch (ApiException ex) when (ex.Code == 404)
            {
                // Deleted by someone else meanwhile.
            }
        }

        await ApiResponses.WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = request.Type.ListKind,
            ["apiVersion"] = request.Type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = list.ResourceVersion.ToString(CultureInfo.InvariantCulture) },
            ["items"] = deleted,
        });
    }

    private async Task BindAsync(HttpContext context, ResourceRequest request)
    {
        var binding = await ReadAnyObjectAsync(context);
        var node = (string?)binding["target"]?["name"];
        if (string.IsNullOrEmpty(node))
        {
            throw ApiException.Invalid("Binding", request.Name!, [new StatusCause("FieldValueRequired", "target.name", "Required value")]);
        }

        var pod = grains.GetGrain<IObjectGrain>(new ObjectKey("pods", request.Namespace!, request.Name!).GrainKey);
        var current = await pod.Get() ?? throw ApiException.NotFound("pods", request.Name!);
        if (!string.IsNullOrEmpty((string?)JsonNode.Parse(current)?["spec"]?["nodeName"]))
        {
            throw ApiException.Conflict("pods", request.Name!, $"pod {request.Name} is already assigned to a node");
        }

        var patch = new JsonObject { ["spec"] = new JsonObject { ["nodeName"] = node } };
        await pod.Patch(patch.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json", Subresource = "binding" });
        await ApiResponses.WriteJsonAsync(context, 201, ApiResponses.Success());
    }

    private async Task<DeleteOptions> ReadDeleteOptionsAsync(HttpContext context)
    {
        var query = context.Request.Query;
        JsonObject? body = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            body = await bodies.ReadNodeAsync(context.Request, context.RequestAborted) as JsonObject;
        }

        long? grace = null;
        if ((string?)query["gracePeriodSeconds"] is { } g && long.TryParse(g, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
        {
            grace = parsed;
        }

        var policy = (string?)query["propagationPolicy"] ?? (string?)body?["propagationPolicy"];
        if ((string?)query["orphanDependents"] == "true" || (bool?)body?["orphanDependents"] == true)
        {
            policy ??= "Orphan";
        }

        if (policy is not (null or "Orphan" or "Background" or "Foreground"))
        {
            throw ApiException.BadRequest($"propagationPolicy must be one of Orphan, Background, Foreground, not \"{policy}\"");
        }

        return new DeleteOptions
        {
            PropagationPolicy = policy,
            GracePeriodSeconds = grace ?? JsonNumbers.ToInt64(body?["gracePeriodSeconds"]),
            PreconditionUid = (string?)body?["preconditions"]?["uid"],
            PreconditionResourceVersion = (string?)body?["preconditions"]?["resourceVersion"],
            DryRun = query["dryRun"].Count > 0 || body?["dryRun"] is JsonArray { Count: > 0 },
        };
    }

    private async Task<JsonObject> ReadObjectAsync(HttpContext context, ResourceRequest request, bool isScale = false)
    {
        var obj = await ReadAnyObjectAsync(context);
        var type = request.Type;
        var apiVersion = (string?)obj["apiVersion"];
        var kind = (string?)obj["kind"];
        var expectedKind = isScale ? "Scale" : type.Kind;
        var expectedVersion = isScale ? "autoscaling/v1" : type.ApiVersion;
        if (kind is not null && kind != expectedKind)
        {
            throw ApiException.BadRequest($"the kind of the object ({kind}) does not match the kind on the URL ({expectedKind})");
        }

        if (apiVersion is not null && apiVersion != expectedVersion)
        {
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({expectedVersion})");
        }

        if (obj["metadata"] is JsonNode m && m is not JsonObject)
        {
            throw ApiException.BadRequest("metadata must be an object");
        }

        var ns = (string?)obj["metadata"]?["namespace"];
        if (type.Namespaced && ns is not null && ns.Length > 0 && ns != request.Namespace)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        if (!isScale)
        {
            CheckUnknownFields(context, type, obj);
            ValidateShapeAgainstModel(type, obj);
        }

        return obj;
    }

    private async Task<JsonObject> ReadAnyObjectAsync(HttpContext context)
    {
        return await bodies.ReadNodeAsync(context.Request, context.RequestAborted) as JsonObject
            ?? throw ApiException.BadRequest("the request body must be a JSON or YAML object");
    }

    private void CheckUnknownFields(HttpContext context, ResourceType type, JsonObject obj)
    {
        var mode = (string?)context.Request.Query["fieldValidation"] ?? "Warn";
        if (mode == "Ignore")
        {
            return;
        }

        var unknown = unknownFields.Find(type.ModelType, obj);
        if (unknown.Count == 0)
        {
            return;
        }

        if (mode == "Strict")
        {
            throw ApiException.BadRequest(UnknownFieldDetector.FormatStrictDecodingError(unknown));
        }

        // Kubernetes caps the warnings of one response too; a hostile body may name thousands of unknown fields.
        foreach (var path in unknown.Take(MaxUnknownFieldWarnings))
        {
            context.Response.Headers.Append("Warning", WarningHeader.Format($"unknown field \"{path.TrimStart('.')}\""));
        }
    }

    /// <summary>Wrong JSON types (a string where an integer belongs) are 400s in Kubernetes: decode into the model to find them.</summary>
    private void ValidateShapeAgainstModel(ResourceType type, JsonObject obj)
    {
        var decode = decoders.GetOrAdd(type.ModelType, t => typeof(k8s.KubernetesJson)
            .GetMethods()
            .Single(m => m.Name == nameof(k8s.KubernetesJson.Deserialize) && m.GetParameters() is [{ ParameterType: var p }, _] && p == typeof(string))
            .MakeGenericMethod(t));
        try
        {
            decode.Invoke(null, [obj.ToJsonString(), null]);
        }
        catch (System.Reflection.TargetInvocationException wrapped) when (wrapped.InnerException is { } ex)
        {
            throw ApiException.BadRequest($"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: {ex.Message}");
        }
    }

    private static void CheckName(ResourceType type, string name)
    {
        var problems = NameValidation.IsValidPathSegmentName(name);
        if (problems.Count > 0 || name.Contains('|', StringComparison.Ordinal))
        {
            throw ApiException.Invalid(type.Kind, name, [new StatusCause("FieldValueInvalid", "metadata.name", $"Invalid value: \"{name}\": {string.Join("; ", problems.DefaultIfEmpty("may not contain '|'"))}")], type.Group);
        }
    }

    private async Task RequireNamespaceAsync(string ns, bool forWrite)
    {
        var json = await grains.GetGrain<IObjectGrain>(new ObjectKey("namespaces", "", ns).GrainKey).Get()
            ?? throw ApiException.NotFound("namespaces", ns);
        if (forWrite && JsonNode.Parse(json)?["metadata"]?["deletionTimestamp"] is not null)
        {
            throw new ApiException(403, "Forbidden", $"unable to create new content in namespace {ns} because it is being terminated");
        }
    }

    private static WriteOptions WriteOptionsFrom(HttpContext context)
    {
        var query = context.Request.Query;
        return new WriteOptions
        {
            FieldManager = query["fieldManager"],
            DryRun = query["dryRun"].Count > 0,
            Force = (string?)query["force"] == "true",
        };
    }

    private IObjectGrain ObjectGrain(ResourceRequest request)
    {
        if (request.Name!.Contains('|', StringComparison.Ordinal))
        {
            throw ApiException.NotFound(request.Type.Plural, request.Name, request.Type.Group);
        }

        return grains.GetGrain<IObjectGrain>(new ObjectKey(request.Type.StorageKey, request.Namespace ?? "", request.Name).GrainKey);
    }

    /// <summary>An answer that may be the object (converted to the request's version) or a Status (left alone).</summary>
    private static string Served(ResourceType type, string json)
    {
        if (type.StoredAs is null)
        {
            return json;
        }

        var node = JsonNode.Parse(json)!.AsObject();
        return (string?)node["kind"] == type.Kind ? VersionConversion.FromStorage(type, node).ToJsonString() : json;
    }

    private IResourceCollectionGrain Collection(ResourceRequest request) =>
        grains.GetGrain<IResourceCollectionGrain>(request.Type.StorageKey);
}
