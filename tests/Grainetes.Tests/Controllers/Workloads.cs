using System.Globalization;
using System.Text.Json.Nodes;
using Grainetes.Abstractions.Store;
using Grainetes.Tests.EndToEnd;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// Objects of one test namespace through the store grains, and a stand-in kubelet: no node runs in the
/// TestingHost, so pods are marked Running and Ready through their status subresource, as a kubelet would.
/// </summary>
internal sealed class Workloads(IGrainFactory grains)
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public string Ns { get; } = "t" + Guid.NewGuid().ToString("N")[..10];

    public IObjectGrain Object(string resource, string name) => grains.GetGrain<IObjectGrain>(new ObjectKey(resource, Ns, name).GrainKey);

    public async Task<JsonObject?> GetAsync(string resource, string name) =>
        await Object(resource, name).Get() is { } json ? JsonNode.Parse(json)!.AsObject() : null;

    public async Task<List<JsonObject>> ListAsync(string resource) =>
        (await grains.GetGrain<IResourceCollectionGrain>(resource).List(new ListRequest { Namespace = Ns })).Items
            .Select(i => JsonNode.Parse(i)!.AsObject()).ToList();

    public Task<List<JsonObject>> PodsAsync() => ListAsync("pods");

    public Task<string> CreateAsync(string resource, JsonObject obj) =>
        Object(resource, (string)obj["metadata"]!["name"]!).Create(obj.ToJsonString(), WriteOptions.Default);

    public Task<string> MergePatchAsync(string resource, string name, JsonObject patch) =>
        Object(resource, name).Patch(patch.ToJsonString(), new WriteOptions { PatchType = "application/merge-patch+json" });

    public static JsonObject Template(string app, string image) => new()
    {
        ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = app } },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = image }) },
    };

    public static JsonObject ReplicaSet(string name, int replicas, string image = "nginx:1") => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "ReplicaSet",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = Template(name, image),
        },
    };

    public static JsonObject Deployment(string name, int replicas, string image = "nginx:1", JsonObject? strategy = null)
    {
        var spec = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = Template(name, image),
        };
        if (strategy is not null)
        {
            spec["strategy"] = strategy;
        }

        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        };
    }

    public static JsonObject Pod(string name, IDictionary<string, string> labels) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))) },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "web", ["image"] = "nginx:1" }) },
    };

    public static bool IsReady(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().Any(c => (string?)c["type"] == "Ready" && (string?)c["status"] == "True") == true;

    public static bool IsDeleting(JsonObject pod) => pod["metadata"]?["deletionTimestamp"] is not null;

    public static string Name(JsonObject obj) => (string)obj["metadata"]!["name"]!;

    public static JsonObject? ControllerRef(JsonObject obj) =>
        (obj["metadata"]?["ownerReferences"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(o => (bool?)o["controller"] == true);

    public static int Int(JsonNode? node) => node is null ? 0 : int.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    /// <summary>The stand-in kubelet: every pod not yet ready becomes Running and Ready. Returns how many it changed.</summary>
    public async Task<int> MarkReadyAsync(IEnumerable<JsonObject> pods)
    {
        var changed = 0;
        foreach (var pod in pods.Where(p => !IsReady(p) && !IsDeleting(p)))
        {
            await SetStatusAsync(pod, "Running", ready: true);
            changed++;
        }

        return changed;
    }

    public async Task SetStatusAsync(JsonObject pod, string phase, bool ready)
    {
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var update = pod.DeepClone().AsObject();
        update["metadata"]!.AsObject().Remove("resourceVersion");
        var state = phase == "Running" ? new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now } } : new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 1, ["finishedAt"] = now } };
        update["status"] = new JsonObject
        {
            ["phase"] = phase,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = now }),
            ["containerStatuses"] = new JsonArray(new JsonObject
            {
                ["name"] = "web",
                ["ready"] = ready,
                ["restartCount"] = 0,
                ["image"] = "nginx",
                ["imageID"] = "",
                ["started"] = phase == "Running",
                ["state"] = state,
            }),
        };
        try
        {
            await Object("pods", Name(pod)).Update(update.ToJsonString(), new WriteOptions { Subresource = "status" });
        }
        catch (Grainetes.Machinery.Errors.ApiException ex) when (ex.Code == 404)
        {
            // Deleted by its controller meanwhile.
        }
    }

    /// <summary>Runs the stand-in kubelet until <paramref name="done"/> holds, calling <paramref name="sample"/> on every pod snapshot first.</summary>
    public async Task KubeletUntilAsync(Func<Task<bool>> done, Action<List<JsonObject>>? sample = null, string what = "condition")
    {
        await Poll.UntilAsync(
            async () =>
            {
                var pods = await PodsAsync();
                sample?.Invoke(pods);
                await MarkReadyAsync(pods);
                return await done();
            },
            ok => ok,
            Deadline,
            what);
    }

    /// <summary>What <c>kubectl rollout status</c> waits for.</summary>
    public async Task<bool> RolloutCompleteAsync(string name)
    {
        var d = await GetAsync("deployments.apps", name);
        if (d is null)
        {
            return false;
        }

        var status = d["status"];
        var replicas = Int(d["spec"]!["replicas"]);
        var rss = (await ListAsync("replicasets.apps")).Where(rs => (string?)ControllerRef(rs)?["uid"] == (string?)d["metadata"]!["uid"]).ToList();
        var oldReplicas = Int(status?["replicas"]) - Int(status?["updatedReplicas"]);
        return Int(status?["observedGeneration"]) >= Int(d["metadata"]!["generation"])
            && Int(status?["updatedReplicas"]) == replicas
            && Int(status?["replicas"]) == replicas
            && Int(status?["availableReplicas"]) == replicas
            && oldReplicas == 0
            && rss.Count(rs => Int(rs["spec"]!["replicas"]) > 0) == 1;
    }
}
