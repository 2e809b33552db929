using System.Text.Json.Nodes;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// A DaemonSet's template history as Kubernetes keeps it: one <c>apps/v1 ControllerRevision</c> per distinct
/// template, named <c>&lt;daemonset&gt;-&lt;hash&gt;</c>, whose <c>data</c> is the strategic merge patch that puts the
/// template back (<c>{"spec":{"template":{"$patch":"replace",…}}}</c>). <c>kubectl rollout undo</c> sends that data
/// unchanged as a patch of the DaemonSet, and compares it byte for byte with the patch it computes itself, so it
/// is laid out the way Go's encoder writes it: keys sorted, and the template's <c>creationTimestamp: null</c>.
/// </summary>
internal static class DaemonSetHistory
{
    public const string Resource = "controllerrevisions.apps";

    /// <summary>The restore patch of the DaemonSet's current template.</summary>
    public static JsonObject Patch(JsonObject ds)
    {
        var template = GoOrdered(ds["spec"]?["template"]) as JsonObject ?? new JsonObject();
        var metadata = template["metadata"] as JsonObject ?? new JsonObject();
        metadata["creationTimestamp"] = null;
        template["metadata"] = Sorted(metadata);
        template["$patch"] = "replace";
        return new JsonObject { ["spec"] = new JsonObject { ["template"] = Sorted(template) } };
    }

    /// <summary>Kubernetes' Match: the revision holds exactly the DaemonSet's current template.</summary>
    public static bool Matches(JsonObject ds, JsonObject revision) => Canonical(Patch(ds)) == Canonical(revision["data"]);

    public static long Revision(JsonObject revision) => Grainetes.Machinery.Resources.JsonNumbers.ToInt64(revision["revision"]) ?? 0;

    public static string? Hash(JsonObject revision) => Str(revision["metadata"]?["labels"]?[DaemonSetControllerGrain.RevisionLabel]);

    /// <summary>Kubernetes' snapshot: the template's labels plus the hash, the DaemonSet's annotations, the DaemonSet as controller.</summary>
    public static JsonObject Snapshot(JsonObject ds, string ns, string hash, long revision)
    {
        var labels = ds["spec"]?["template"]?["metadata"]?["labels"]?.DeepClone() as JsonObject ?? new JsonObject();
        labels[DaemonSetControllerGrain.RevisionLabel] = hash;
        var meta = new JsonObject
        {
            ["name"] = Name(ds) + "-" + hash,
            ["namespace"] = ns,
            ["labels"] = labels,
            ["ownerReferences"] = new JsonArray(OwnerReference("DaemonSet", Name(ds), Uid(ds))),
        };
        if (ds["metadata"]?["annotations"] is JsonObject { Count: > 0 } annotations)
        {
            meta["annotations"] = annotations.DeepClone();
        }

        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ControllerRevision",
            ["metadata"] = meta,
            ["data"] = Patch(ds),
            ["revision"] = revision,
        };
    }

    /// <summary>A copy with object keys in ordinal order and null members left out, as Go marshals a decoded map.</summary>
    private static JsonNode? GoOrdered(JsonNode? node) => node switch
    {
        JsonObject obj => Sorted(new JsonObject(obj.Where(p => p.Value is not null).Select(p => KeyValuePair.Create(p.Key, GoOrdered(p.Value))))),
        JsonArray array => new JsonArray(array.Select(GoOrdered).ToArray()),
        _ => node?.DeepClone(),
    };

    private static JsonObject Sorted(JsonObject obj)
    {
        var members = obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, Value: p.Value)).ToList();
        obj.Clear();
        var sorted = new JsonObject();
        foreach (var (key, value) in members)
        {
            sorted[key] = value;
        }

        return sorted;
    }
}
