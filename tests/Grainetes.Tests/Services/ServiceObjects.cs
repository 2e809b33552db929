using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;

namespace Grainetes.Tests.Services;

/// <summary>Services and pods of one test namespace through the store grains, and a stand-in kubelet that reports pod IPs.</summary>
internal sealed class ServiceObjects(Func<IGrainFactory> grains)
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public string Ns { get; } = "s" + Guid.NewGuid().ToString("N")[..10];

    public IObjectGrain Object(string resource, string name) => grains().GetGrain<IObjectGrain>(new ObjectKey(resource, Ns, name).GrainKey);

    public async Task<JsonObject?> GetAsync(string resource, string name) =>
        await Object(resource, name).Get() is { } json ? JsonNode.Parse(json)!.AsObject() : null;

    public async Task<List<JsonObject>> ListAsync(string resource) =>
        (await grains().GetGrain<IResourceCollectionGrain>(resource).List(new ListRequest { Namespace = Ns })).Items
            .Select(i => JsonNode.Parse(i)!.AsObject()).ToList();

    public async Task<JsonObject> CreateAsync(string resource, JsonObject obj) =>
        JsonNode.Parse(await Object(resource, (string)obj["metadata"]!["name"]!).Create(obj.ToJsonString(), WriteOptions.Default))!.AsObject();

    public Task DeleteAsync(string resource, string name) => Object(resource, name).Delete(DeleteOptions.Default);

    public async Task<JsonObject> MergePatchAsync(string resource, string name, JsonObject patch) =>
        JsonNode.Parse(await Object(resource, name).Patch(patch.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" }))!.AsObject();

    public static JsonObject Service(string name, string type = "ClusterIP", JsonObject? selector = null, params JsonObject[] ports)
    {
        var spec = new JsonObject { ["type"] = type };
        if (selector is not null)
        {
            spec["selector"] = selector;
        }

        spec["ports"] = new JsonArray(ports.Length == 0 ? [new JsonObject { ["name"] = "http", ["port"] = 80 }] : ports.Select(p => (JsonNode)p).ToArray());
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Service", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec };
    }

    public static JsonObject Pod(string name, string app, params (string Name, int Port)[] containerPorts) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = app } },
        ["spec"] = new JsonObject
        {
            ["nodeName"] = "node-1",
            ["containers"] = new JsonArray(new JsonObject
            {
                ["name"] = "web",
                ["image"] = "nginx:1",
                ["ports"] = new JsonArray(containerPorts.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["containerPort"] = p.Port }).ToArray()),
            }),
        },
    };

    /// <summary>The stand-in kubelet: the pod runs at <paramref name="ip"/>, ready or not, through /status.</summary>
    public async Task SetPodStatusAsync(string name, string ip, bool ready)
    {
        var pod = (await GetAsync("pods", name))!;
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        pod["metadata"]!.AsObject().Remove("resourceVersion");
        pod["status"] = new JsonObject
        {
            ["phase"] = "Running",
            ["podIP"] = ip,
            ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip }),
            ["hostIP"] = "127.0.0.1",
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = now }),
        };
        await Object("pods", name).Update(pod.ToJsonString(), new WriteOptions { Subresource = "status" });
    }

    public static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static int Int(JsonNode? node) => node is null ? 0 : int.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);
}
