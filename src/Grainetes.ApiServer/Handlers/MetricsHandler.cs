using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Metrics;
using Grainetes.Abstractions.Store;
using Grainetes.ApiServer.Http;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Printing;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Selectors;
using Microsoft.AspNetCore.Http;

namespace Grainetes.ApiServer.Handlers;

/// <summary>
/// The Metrics API (<c>metrics.k8s.io/v1beta1</c>), what metrics-server serves: <c>PodMetrics</c> and <c>NodeMetrics</c>
/// built on request from the usage the node agents measured (held in memory by the metrics grains, never stored),
/// joined with the pods and nodes they describe for names, labels and selectors. Read-only: get and list.
/// </summary>
public sealed class MetricsHandler(IGrainFactory grains, TablePrinter tables, TimeProvider time)
{
    private const string ApiVersion = "metrics.k8s.io/v1beta1";

    public async Task HandleAsync(HttpContext context, ResourceRequest request)
    {
        if (context.Request.Method != "GET" || request.Subresource.Length > 0)
        {
            throw ApiException.MethodNotAllowed($"{context.Request.Method} is not supported on {request.Type.Plural}.metrics.k8s.io");
        }

        if (context.Request.Query["watch"] is { Count: > 0 } w && w[0] is "true" or "1")
        {
            throw ApiException.MethodNotAllowed($"watch is not supported on {request.Type.Plural}.metrics.k8s.io");
        }

        var items = request.Type.Kind == "PodMetrics" ? await PodMetricsAsync(context, request) : await NodeMetricsAsync(context, request);
        if (request.Name is not null)
        {
            var item = items.FirstOrDefault() ?? throw NotFound(request);
            await WriteAsync(context, request, [item], single: true);
            return;
        }

        await WriteAsync(context, request, items, single: false);
    }

    private async Task<List<JsonObject>> PodMetricsAsync(HttpContext context, ResourceRequest request)
    {
        var pods = await ObjectsAsync(context, request, "pods");
        var usage = (await grains.GetGrain<IClusterMetricsGrain>(0).Pods(request.Namespace))
            .ToLookup(u => (u.Namespace, u.Name, u.Uid));
        var now = Timestamp(time.GetUtcNow());
        var items = new List<JsonObject>();
        foreach (var pod in pods)
        {
            var meta = pod["metadata"]!;
            var key = ((string?)meta["namespace"] ?? "", (string?)meta["name"] ?? "", (string?)meta["uid"] ?? "");
            if (usage[key].MaxBy(u => u.Timestamp) is not { } found)
            {
                continue;
            }

            items.Add(new JsonObject
            {
                ["kind"] = "PodMetrics",
                ["apiVersion"] = ApiVersion,
                ["metadata"] = Metadata(meta, now),
                ["timestamp"] = Timestamp(found.Timestamp),
                ["window"] = GoDuration(found.Window),
                ["containers"] = new JsonArray(found.Containers.Select(c => (JsonNode?)new JsonObject
                {
                    ["name"] = c.Name,
                    ["usage"] = Usage(c.CpuNanoCores, c.MemoryBytes),
                }).ToArray()),
            });
        }

        return items;
    }

    private async Task<List<JsonObject>> NodeMetricsAsync(HttpContext context, ResourceRequest request)
    {
        var nodes = await ObjectsAsync(context, request, "nodes");
        var usage = (await grains.GetGrain<IClusterMetricsGrain>(0).Nodes()).ToDictionary(u => u.Node, StringComparer.Ordinal);
        var now = Timestamp(time.GetUtcNow());
        var items = new List<JsonObject>();
        foreach (var node in nodes)
        {
            var meta = node["metadata"]!;
            if (!usage.TryGetValue((string?)meta["name"] ?? "", out var found))
            {
                continue;
            }

            items.Add(new JsonObject
            {
                ["kind"] = "NodeMetrics",
                ["apiVersion"] = ApiVersion,
                ["metadata"] = Metadata(meta, now),
                ["timestamp"] = Timestamp(found.Timestamp),
                ["window"] = GoDuration(found.Window),
                ["usage"] = Usage(found.CpuNanoCores, found.MemoryBytes),
            });
        }

        return items;
    }

    /// <summary>The pods or nodes the request names or selects, from the store (the metrics carry no labels of their own).</summary>
    private async Task<List<JsonObject>> ObjectsAsync(HttpContext context, ResourceRequest request, string storageKey)
    {
        if (request.Name is not null)
        {
            var json = await grains.GetGrain<IObjectGrain>(new ObjectKey(storageKey, request.Namespace ?? "", request.Name).GrainKey).Get();
            return json is null ? [] : [JsonNode.Parse(json)!.AsObject()];
        }

        var labelSelector = (string?)context.Request.Query["labelSelector"];
        var fieldSelector = (string?)context.Request.Query["fieldSelector"];
        LabelSelector.Parse(labelSelector);
        FieldSelector.Parse(fieldSelector);
        var listed = await grains.GetGrain<IResourceCollectionGrain>(storageKey).List(new ListRequest
        {
            Namespace = request.Namespace,
            LabelSelector = labelSelector,
            FieldSelector = fieldSelector,
        });
        return listed.Items.Select(i => JsonNode.Parse(i)!.AsObject()).ToList();
    }

    private async Task WriteAsync(HttpContext context, ResourceRequest request, List<JsonObject> items, bool single)
    {
        if (MediaTypes.WantsTable(context.Request))
        {
            await ApiResponses.WriteJsonAsync(context, 200, tables.ToTable(request.Type, items, null, null, context.Request.Query["includeObject"], time.GetUtcNow()));
            return;
        }

        if (single)
        {
            await ApiResponses.WriteJsonAsync(context, 200, items[0]);
            return;
        }

        await ApiResponses.WriteJsonAsync(context, 200, new JsonObject
        {
            ["kind"] = request.Type.ListKind,
            ["apiVersion"] = ApiVersion,
            ["metadata"] = new JsonObject(),
            ["items"] = new JsonArray(items.Select(i => (JsonNode?)i).ToArray()),
        });
    }

    private static ApiException NotFound(ResourceRequest request)
    {
        var name = request.Namespace is null ? request.Name! : $"{request.Namespace}/{request.Name}";
        return ApiException.NotFound(request.Type.Kind.ToLowerInvariant(), name, request.Type.Group);
    }

    /// <summary>As metrics-server: the object's name, namespace and labels, created now.</summary>
    private static JsonObject Metadata(JsonNode source, string now)
    {
        var meta = new JsonObject { ["name"] = source["name"]?.DeepClone() };
        if (source["namespace"] is { } ns)
        {
            meta["namespace"] = ns.DeepClone();
        }

        meta["creationTimestamp"] = now;
        if (source["labels"] is JsonObject labels)
        {
            meta["labels"] = labels.DeepClone();
        }

        return meta;
    }

    private static JsonObject Usage(long cpuNanoCores, long memoryBytes) => new()
    {
        ["cpu"] = QuantityFormat.FromNano(cpuNanoCores),
        ["memory"] = QuantityFormat.Bytes(memoryBytes),
    };

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A window as Go's <c>time.Duration.String()</c> writes it (<c>10s</c>, <c>10.5s</c>, <c>1m30s</c>), to the millisecond.</summary>
    private static string GoDuration(TimeSpan window)
    {
        var milliseconds = (long)Math.Round(window.TotalMilliseconds);
        if (milliseconds <= 0)
        {
            return "0s";
        }

        var hours = milliseconds / 3_600_000;
        var minutes = milliseconds / 60_000 % 60;
        var seconds = milliseconds % 60_000 / 1000m;
        var text = seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        if (hours > 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{hours}h{minutes}m{text}");
        }

        return minutes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{minutes}m{text}") : text;
    }
}
