using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Abstractions.Telemetry;
using Grainetes.ApiServer.Http;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Printing;
using Grainetes.Machinery.Selectors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Grainetes.ApiServer.Handlers;

/// <summary>
/// Streams a watch: newline-delimited JSON events, from a list's resource version onwards, by long-polling
/// the kind's collection grain. Every event after that version arrives once and in order; a compacted
/// version ends the stream with a 410 Expired ERROR event, as Kubernetes does. A host that stops ends every
/// stream at once, as an API server does: clients reconnect from their last version, and the server's shutdown
/// does not wait for watches that would otherwise run until their timeout.
/// </summary>
public sealed class WatchHandler(IGrainFactory grains, TablePrinter tables, IOptions<ApiServerOptions> options, GrainetesTelemetry telemetry, TimeProvider time, IHostApplicationLifetime lifetime)
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public async Task WatchAsync(HttpContext context, ResourceRequest request, string? onlyName = null)
    {
        telemetry.WatchStarted(request.Type.StorageKey);
        try
        {
            await StreamAsync(context, request, onlyName);
        }
        finally
        {
            telemetry.WatchEnded(request.Type.StorageKey);
        }
    }

    private async Task StreamAsync(HttpContext context, ResourceRequest request, string? onlyName)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"]);
        var bookmarks = (string?)query["allowWatchBookmarks"] == "true";
        var asTable = MediaTypes.WantsTable(context.Request);
        var includeObject = (string?)query["includeObject"];
        var collection = grains.GetGrain<IResourceCollectionGrain>(request.Type.StorageKey);
        var settings = options.Value;
        var duration = settings.MaxWatchDuration;
        if ((string?)query["timeoutSeconds"] is { } t && int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            duration = TimeSpan.FromSeconds(Math.Min(seconds, duration.TotalSeconds));
        }

        var rvText = (string?)query["resourceVersion"];
        long after;
        var initial = new List<string>();
        if (string.IsNullOrEmpty(rvText) || rvText == "0")
        {
            // Kubernetes' "start at most recent": the current objects as ADDED, then the changes after them.
            var list = await collection.List(new ListRequest { Namespace = request.Namespace, LabelSelector = query["labelSelector"], FieldSelector = query["fieldSelector"] });
            after = list.ResourceVersion;
            initial.AddRange(list.Items);
        }
        else if (!long.TryParse(rvText, NumberStyles.Integer, CultureInfo.InvariantCulture, out after) || after < 0)
        {
            throw ApiException.BadRequest($"resourceVersion must be a non-negative integer, not \"{rvText}\"");
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = ApiResponses.Json;
        context.Response.Headers.CacheControl = "no-cache, private";
        await context.Response.StartAsync(context.RequestAborted);
        var first = true;
        foreach (var item in initial)
        {
            var obj = JsonNode.Parse(item)!.AsObject();
            if (onlyName is null || (string?)obj["metadata"]?["name"] == onlyName)
            {
                await WriteEventAsync(context, "ADDED", obj, request, asTable, includeObject, first);
                first = false;
            }
        }

        await context.Response.Body.FlushAsync(context.RequestAborted);
        var deadline = time.GetUtcNow() + duration;
        var lastBookmark = time.GetUtcNow();
        var stopping = lifetime.ApplicationStopping;
        while (!context.RequestAborted.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            var wait = left < settings.WatchPollInterval ? left : settings.WatchPollInterval;
            WatchBatch batch;
            try
            {
                // The long poll itself cannot be cancelled; its answer is dropped when the host stops meanwhile.
                batch = await collection.Poll(after, request.Namespace, wait).WaitAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }

            if (batch.Gone)
            {
                var status = ApiException.Gone($"too old resource version: {after} ({batch.OldestResourceVersion})").ToStatus();
                await WriteRawEventAsync(context, "ERROR", status);
                break;
            }

            foreach (var change in batch.Events)
            {
                if (onlyName is not null && change.Name != onlyName)
                {
                    continue;
                }

                var obj = JsonNode.Parse(change.Json)!.AsObject();
                if (!labels.IsEverything && !labels.Matches(obj))
                {
                    continue;
                }

                if (!fields.IsEverything && !fields.Matches(obj))
                {
                    continue;
                }

                await WriteEventAsync(context, TypeName(change.Type), obj, request, asTable, includeObject, first);
                first = false;
            }

            after = batch.LatestResourceVersion;
            if (batch.Events.Count > 0)
            {
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
            else if (bookmarks && time.GetUtcNow() - lastBookmark >= settings.WatchPollInterval)
            {
                lastBookmark = time.GetUtcNow();
                await WriteRawEventAsync(context, "BOOKMARK", new JsonObject
                {
                    ["kind"] = request.Type.Kind,
                    ["apiVersion"] = request.Type.ApiVersion,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = after.ToString(CultureInfo.InvariantCulture) },
                });
            }
        }
    }

    private Task WriteEventAsync(HttpContext context, string type, JsonObject obj, ResourceRequest request, bool asTable, string? includeObject, bool first)
    {
        if (!asTable)
        {
            return WriteRawEventAsync(context, type, Grainetes.Machinery.Resources.VersionConversion.FromStorage(request.Type, obj));
        }

        var table = tables.ToTable(request.Type, [obj], (string?)obj["metadata"]?["resourceVersion"], null, includeObject, time.GetUtcNow());
        if (!first)
        {
            table.Remove("columnDefinitions");
            table["columnDefinitions"] = new JsonArray();
        }

        return WriteRawEventAsync(context, type, table);
    }

    private static async Task WriteRawEventAsync(HttpContext context, string type, JsonObject obj)
    {
        var payload = new JsonObject { ["type"] = type, ["object"] = obj };
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(payload.ToJsonString()), context.RequestAborted);
        await context.Response.Body.WriteAsync(NewLine, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private static string TypeName(WatchEventType type) => type switch
    {
        WatchEventType.Added => "ADDED",
        WatchEventType.Modified => "MODIFIED",
        _ => "DELETED",
    };
}
