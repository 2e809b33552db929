using System.Text.Json.Nodes;
using Grainetes.Machinery.Scheduling;

namespace Grainetes.Machinery.Tests.Scheduling;

/// <summary>Node and pod views built from wire-format JSON, as the scheduler gets them.</summary>
internal static class SchedulingTestObjects
{
    public static NodeInfo Node(
        string name,
        string cpu = "4",
        string memory = "8Gi",
        string pods = "110",
        JsonObject? labels = null,
        JsonArray? taints = null,
        bool unschedulable = false,
        string ready = "True")
    {
        var node = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels ?? new JsonObject() },
            ["spec"] = new JsonObject { ["unschedulable"] = unschedulable, ["taints"] = taints ?? new JsonArray() },
            ["status"] = new JsonObject
            {
                ["allocatable"] = new JsonObject { ["cpu"] = cpu, ["memory"] = memory, ["pods"] = pods },
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready }),
            },
        };
        return NodeInfo.Parse(node);
    }

    public static PodInfo Pod(
        string name,
        string? cpu = "100m",
        string? memory = "64Mi",
        JsonObject? labels = null,
        string? ownerUid = null,
        Action<JsonObject>? spec = null,
        string ns = "default")
    {
        var requests = new JsonObject();
        if (cpu is not null)
        {
            requests["cpu"] = cpu;
        }

        if (memory is not null)
        {
            requests["memory"] = memory;
        }

        var specObject = new JsonObject
        {
            ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["resources"] = new JsonObject { ["requests"] = requests } }),
        };
        spec?.Invoke(specObject);
        var meta = new JsonObject { ["name"] = name, ["namespace"] = ns, ["uid"] = "uid-" + name, ["labels"] = labels ?? new JsonObject() };
        if (ownerUid is not null)
        {
            meta["ownerReferences"] = new JsonArray(new JsonObject { ["kind"] = "ReplicaSet", ["name"] = "rs", ["uid"] = ownerUid, ["controller"] = true });
        }

        return PodInfo.Parse(new JsonObject { ["metadata"] = meta, ["spec"] = specObject });
    }

    public static JsonArray Taints(string key, string value, string effect) =>
        new(new JsonObject { ["key"] = key, ["value"] = value, ["effect"] = effect });

    public static void Tolerate(JsonObject spec, string key, string op, string value, string effect) =>
        spec["tolerations"] = new JsonArray(new JsonObject { ["key"] = key, ["operator"] = op, ["value"] = value, ["effect"] = effect });
}
