using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Patching;

/// <summary>
/// Encodes the fields an object sets as a Kubernetes <c>FieldsV1</c> field set (the <c>fieldsV1</c> of a
/// <c>managedFields</c> entry): <c>f:name</c> for fields, <c>k:{"key":value}</c> for elements of associative lists,
/// <c>v:value</c> for members of sets, and <c>.</c> for a list element itself.
/// </summary>
public static class ManagedFieldsEncoder
{
    // The server owns these, so no manager is ever recorded as owning them (the field manager's strip set).
    private static readonly HashSet<string> StrippedRootFields = ["apiVersion", "kind"];

    private static readonly HashSet<string> StrippedMetadataFields =
    [
        "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields",
        "resourceVersion",
    ];

    /// <summary>The field set of <paramref name="obj"/>, an object of <c>k8s.Models</c> type <paramref name="modelType"/>.</summary>
    public static JsonObject Encode(JsonObject obj, Type modelType)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(modelType);

        var fields = new JsonObject();
        foreach (var (name, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (value is null || StrippedRootFields.Contains(name)) continue;
            var memberType = ModelSchema.Member(modelType, name);
            if (name == "metadata" && value is JsonObject metadata)
            {
                // "metadata" itself is stripped too: it appears only when the applier set one of its own fields.
                var metadataFields = EncodeObject(metadata, memberType, StrippedMetadataFields);
                if (metadataFields.Count > 0) fields["f:metadata"] = metadataFields;
                continue;
            }

            fields["f:" + name] = EncodeValue(value, memberType, PatchMetadata.ForList(modelType, name));
        }

        return fields;
    }

    /// <summary>The <c>k:</c> member name of a list element, or <c>null</c> when it lacks a key field.</summary>
    public static string? ElementKey(JsonObject element, ListPatchMeta meta)
    {
        ArgumentNullException.ThrowIfNull(element);
        ArgumentNullException.ThrowIfNull(meta);
        if (meta.ApplyKeys.Count == 0) return null;

        var key = new JsonObject();
        foreach (var applyKey in meta.ApplyKeys.OrderBy(k => k.Name, StringComparer.Ordinal))
        {
            if (element.TryGetPropertyValue(applyKey.Name, out var value) && value is not null)
                key[applyKey.Name] = value.DeepClone();
            else if (applyKey.Default is not null)
                key[applyKey.Name] = applyKey.Default;
            else if (applyKey.Name == meta.MergeKey)
                return null;
        }

        return "k:" + key.ToJsonString();
    }

    private static JsonObject EncodeObject(JsonObject obj, Type? type, HashSet<string>? stripped = null)
    {
        var fields = new JsonObject();
        foreach (var (name, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (value is null || (stripped?.Contains(name) ?? false)) continue;
            fields["f:" + name] = EncodeValue(value, ModelSchema.Member(type, name), PatchMetadata.ForList(type, name));
        }

        return fields;
    }

    private static JsonObject EncodeValue(JsonNode value, Type? type, ListPatchMeta? listMeta) => value switch
    {
        JsonObject obj when obj.Count > 0 => EncodeObject(obj, type),
        JsonArray list when list.Count > 0 && listMeta is not null => EncodeList(list, ModelSchema.Element(type), listMeta),
        // Scalars, empty maps and atomic lists are owned as a whole.
        _ => new JsonObject(),
    };

    private static JsonObject EncodeList(JsonArray list, Type? elementType, ListPatchMeta meta)
    {
        var fields = new JsonObject();
        foreach (var item in list)
        {
            if (meta.IsPrimitiveSet && item is JsonValue)
            {
                fields["v:" + item.ToJsonString()] = new JsonObject();
                continue;
            }

            if (item is not JsonObject element || ElementKey(element, meta) is not { } key)
            {
                // An element we cannot name makes the list impossible to own piecewise: own it whole.
                return new JsonObject();
            }

            var elementFields = EncodeObject(element, elementType);
            var entry = new JsonObject { ["."] = new JsonObject() };
            foreach (var (name, child) in elementFields.ToList())
            {
                elementFields.Remove(name);
                entry[name] = child;
            }

            fields[key] = entry;
        }

        return fields;
    }
}
