using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Resources;

namespace Grainetes.Grains.Controllers;

/// <summary>Reading and building the wire-format JSON the workload controllers work on.</summary>
internal static class ControllerJson
{
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    public static string? Str(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static int Int(JsonNode? node, int fallback = 0) => JsonNumbers.ToInt32(node) ?? fallback;

    public static string Name(JsonObject obj) => Str(obj["metadata"]?["name"]) ?? "";

    public static string Uid(JsonObject obj) => Str(obj["metadata"]?["uid"]) ?? "";

    public static long Generation(JsonObject obj) => JsonNumbers.ToInt64(obj["metadata"]?["generation"]) ?? 0;

    public static bool IsDeleting(JsonObject obj) => obj["metadata"]?["deletionTimestamp"] is not null;

    public static DateTimeOffset? Time(JsonNode? node) =>
        Str(node) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    public static DateTimeOffset Created(JsonObject obj) => Time(obj["metadata"]?["creationTimestamp"]) ?? DateTimeOffset.MinValue;

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    public static string? Annotation(JsonObject obj, string key) => Str(obj["metadata"]?["annotations"]?[key]);

    /// <summary>The owner reference with <c>controller: true</c>, if any.</summary>
    public static JsonObject? ControllerRef(JsonObject obj) =>
        (obj["metadata"]?["ownerReferences"] as JsonArray)?.OfType<JsonObject>()
            .FirstOrDefault(o => o["controller"] is JsonValue c && c.GetValueKind() == JsonValueKind.True);

    public static bool IsControlledBy(JsonObject obj, string ownerUid) =>
        ControllerRef(obj) is { } owner && Str(owner["uid"]) == ownerUid;

    public static JsonObject OwnerReference(string kind, string name, string uid, string apiVersion = "apps/v1") => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["name"] = name,
        ["uid"] = uid,
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    /// <summary>A merge patch adding a controller reference, conditional on the version read (adoption must not race a release).</summary>
    public static string AdoptPatch(JsonObject obj, JsonObject ownerReference)
    {
        var owners = new JsonArray();
        if (obj["metadata"]?["ownerReferences"] is JsonArray existing)
        {
            foreach (var item in existing)
            {
                owners.Add(item?.DeepClone());
            }
        }

        owners.Add(ownerReference.DeepClone());
        return OwnersPatch(obj, owners);
    }

    /// <summary>A merge patch removing the owner's reference, conditional on the version read.</summary>
    public static string ReleasePatch(JsonObject obj, string ownerUid)
    {
        var owners = new JsonArray();
        if (obj["metadata"]?["ownerReferences"] is JsonArray existing)
        {
            foreach (var item in existing.Where(o => Str(o?["uid"]) != ownerUid))
            {
                owners.Add(item?.DeepClone());
            }
        }

        return OwnersPatch(obj, owners.Count == 0 ? null : owners);
    }

    public static bool IsPodReady(JsonObject pod) => ReadyCondition(pod) is { } c && Str(c["status"]) == "True";

    /// <summary>When the pod last became ready (its Ready condition's transition time).</summary>
    public static DateTimeOffset? ReadySince(JsonObject pod) =>
        ReadyCondition(pod) is { } c && Str(c["status"]) == "True" ? Time(c["lastTransitionTime"]) ?? DateTimeOffset.MinValue : null;

    /// <summary>Kubernetes' podutil.IsPodAvailable: ready for at least <paramref name="minReadySeconds"/>.</summary>
    public static bool IsPodAvailable(JsonObject pod, int minReadySeconds, DateTimeOffset now) =>
        ReadySince(pod) is { } since && (minReadySeconds == 0 || since.AddSeconds(minReadySeconds) <= now);

    /// <summary>Kubernetes' controller.IsPodActive: not finished and not being deleted.</summary>
    public static bool IsPodActive(JsonObject pod) =>
        !IsDeleting(pod) && Str(pod["status"]?["phase"]) is not ("Succeeded" or "Failed");

    /// <summary>A merge patch setting the finalizers, conditional on the version read.</summary>
    public static string FinalizersPatch(JsonObject obj, IEnumerable<string> finalizers)
    {
        var list = new JsonArray();
        foreach (var f in finalizers)
        {
            list.Add(f);
        }

        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = Str(obj["metadata"]?["resourceVersion"]),
                ["finalizers"] = list.Count == 0 ? null : list,
            },
        }.ToJsonString();
    }

    public static IEnumerable<string> Finalizers(JsonObject obj) =>
        (obj["metadata"]?["finalizers"] as JsonArray)?.Select(Str).OfType<string>() ?? [];

    public static bool HasCondition(JsonObject obj, string type) =>
        (obj["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().Any(c => Str(c["type"]) == type && Str(c["status"]) == "True") == true;

    public static int Restarts(JsonObject pod) =>
        (pod["status"]?["containerStatuses"] as JsonArray)?.OfType<JsonObject>().Sum(s => Int(s["restartCount"])) ?? 0;

    /// <summary>JSON with object keys sorted, so equal objects print equally whatever their key order or number backing.</summary>
    public static string Canonical(JsonNode? node)
    {
        var builder = new StringBuilder();
        WriteCanonical(node, builder);
        return builder.ToString();
    }

    private static void WriteCanonical(JsonNode? node, StringBuilder builder)
    {
        switch (node)
        {
            case null:
                builder.Append("null");
                break;
            case JsonObject obj:
                builder.Append('{');
                var first = true;
                // A null member is an absent one (Go clients send "creationTimestamp": null in templates):
                // both must hash alike, or `kubectl rollout undo` would make a new ReplicaSet.
                foreach (var (key, value) in obj.Where(p => p.Value is not null).OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        builder.Append(',');
                    }

                    first = false;
                    builder.Append(JsonSerializer.Serialize(key)).Append(':');
                    WriteCanonical(value, builder);
                }

                builder.Append('}');
                break;
            case JsonArray array:
                builder.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    WriteCanonical(array[i], builder);
                }

                builder.Append(']');
                break;
            default:
                builder.Append(node.ToJsonString());
                break;
        }
    }

    private static JsonObject? ReadyCondition(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => Str(c["type"]) == "Ready");

    private static string OwnersPatch(JsonObject obj, JsonArray? owners) => new JsonObject
    {
        ["metadata"] = new JsonObject
        {
            ["resourceVersion"] = Str(obj["metadata"]?["resourceVersion"]),
            ["ownerReferences"] = owners,
        },
    }.ToJsonString();
}
