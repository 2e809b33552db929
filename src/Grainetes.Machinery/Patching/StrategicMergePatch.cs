using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Patching;

/// <summary>
/// Kubernetes strategic merge patch (<c>application/strategic-merge-patch+json</c>) for the built-in kinds, following
/// <c>k8s.io/apimachinery/pkg/util/strategicpatch</c> as the API server applies it (parallel deletion lists merged,
/// unmatched nulls ignored). List merge metadata comes from <see cref="PatchMetadata"/>.
/// </summary>
public static class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeysDirective = "$retainKeys";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";
    private const string SetElementOrderPrefix = "$setElementOrder/";

    /// <summary>
    /// Returns <paramref name="target"/> with <paramref name="patch"/> applied; <paramref name="modelType"/> is the
    /// <c>k8s.Models</c> type of the object (for example <c>V1Deployment</c>). Neither input is modified.
    /// </summary>
    public static JsonObject Apply(JsonObject target, JsonObject patch, Type modelType)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(patch);
        ArgumentNullException.ThrowIfNull(modelType);

        // Both copies are private, so the merge edits them in place and moves nodes from one to the other.
        var merged = MergeMap((JsonObject)target.DeepClone(), (JsonObject)patch.DeepClone(), modelType);
        // "$patch: delete" at the top leaves nothing, which for a whole object is the empty object.
        return merged ?? new JsonObject();
    }

    /// <summary>Merges <paramref name="patch"/> into <paramref name="original"/>; <c>null</c> means "delete this map".</summary>
    private static JsonObject? MergeMap(JsonObject original, JsonObject patch, Type? type)
    {
        if (patch.TryGetPropertyValue(PatchDirective, out var directive))
        {
            patch.Remove(PatchDirective);
            switch (DirectiveName(directive))
            {
                case "replace":
                    return MergeMap(new JsonObject(), patch, type);
                case "delete":
                    return null;
                case "merge":
                    break;
                default:
                    throw PatchErrors.Malformed($"unknown patch type: {directive?.ToJsonString()} in map: {patch.ToJsonString()}");
            }
        }

        ApplyRetainKeys(original, patch);
        ApplySetElementOrders(original, patch, type);

        foreach (var key in patch.Select(p => p.Key).ToList())
        {
            var patchValue = Detach(patch, key);
            var field = key;
            var isDeleteList = false;
            if (key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
            {
                field = key[DeleteFromPrimitiveListPrefix.Length..];
                isDeleteList = true;
                if (patchValue is not JsonArray)
                    throw PatchErrors.Malformed($"invalid patch: {key} must be a list of primitives");
            }

            if (patchValue is null)
            {
                // A null deletes; a null for a key the object does not have is ignored (IgnoreUnmatchedNulls).
                original.Remove(field);
                continue;
            }

            var fieldType = ModelSchema.Member(type, field);
            var listMeta = PatchMetadata.ForList(type, field);
            if (!original.TryGetPropertyValue(field, out var originalValue) || originalValue is null)
            {
                // Deleting from a list that is not there changes nothing.
                if (isDeleteList) continue;
                SetOrRemove(original, field, FromPatch(patchValue, fieldType, listMeta));
                continue;
            }

            switch (originalValue, patchValue)
            {
                case (JsonObject originalMap, JsonObject patchMap):
                    original.Remove(field);
                    SetOrRemove(original, field, MergeMap(originalMap, patchMap, fieldType));
                    break;
                case (JsonArray originalList, JsonArray patchList):
                    original.Remove(field);
                    original[field] = MergeListField(originalList, patchList, fieldType, listMeta, isDeleteList);
                    break;
                default:
                    if (!isDeleteList) SetOrRemove(original, field, FromPatch(patchValue, fieldType, listMeta));
                    break;
            }
        }

        return original;
    }

    private static JsonArray MergeListField(JsonArray original, JsonArray patch, Type? listType, ListPatchMeta? meta, bool isDeleteList)
    {
        if (meta is null)
        {
            // Atomic list: the patch's list wins. Deleting from an atomic list is how a client names a set-typed
            // primitive list we have no metadata for; honour it rather than wipe the list.
            return isDeleteList ? DeleteFromPrimitives(original, patch) : patch;
        }

        return MergeList(original, patch, ModelSchema.Element(listType), meta, isDeleteList);
    }

    private static JsonArray MergeList(JsonArray original, JsonArray patch, Type? elementType, ListPatchMeta meta, bool isDeleteList)
    {
        if (original.Count == 0 && patch.Count == 0) return original;

        var elementKind = ElementKind(original, patch);
        List<JsonNode?> originalItems = Drain(original);
        List<JsonNode?> patchItems = Drain(patch);
        List<JsonNode?> merged;
        string? mergeKey = null;
        var patchKeys = Identities(patchItems, null);

        if (elementKind != JsonValueKind.Object)
        {
            if (isDeleteList) return DeleteFromPrimitives(new JsonArray(originalItems.ToArray()), new JsonArray(patchItems.ToArray()));
            merged = new List<JsonNode?>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in originalItems.Concat(patchItems))
            {
                if (seen.Add(JsonValues.ScalarKey(item))) merged.Add(item);
            }
        }
        else
        {
            mergeKey = meta.MergeKey
                ?? throw PatchErrors.CannotApply("cannot merge lists without merge key for a list of objects");
            (originalItems, patchItems) = ApplySpecialElements(originalItems, patchItems, mergeKey, elementType);
            // Identities are taken now: merging moves the patch elements' members out of them.
            patchKeys = Identities(patchItems, mergeKey);
            merged = new List<JsonNode?>(originalItems);
            foreach (var item in patchItems)
            {
                var patchItem = (JsonObject)item!;
                var keyValue = MergeKeyOf(patchItem, mergeKey);
                var index = merged.FindIndex(m => m is JsonObject o && o.TryGetPropertyValue(mergeKey, out var v) && JsonValues.ScalarKey(v) == keyValue);
                if (index >= 0)
                {
                    merged[index] = MergeMap((JsonObject)merged[index]!, patchItem, elementType) ?? new JsonObject();
                }
                else
                {
                    merged.Add(MergeMap(new JsonObject(), patchItem, elementType) ?? new JsonObject());
                }
            }
        }

        return new JsonArray(EnforceOrder(merged, patchKeys, Identities(originalItems, mergeKey), mergeKey).ToArray());
    }

    /// <summary>
    /// Handles list elements carrying <c>$patch</c>: <c>delete</c> removes the element with that merge key from the
    /// original, <c>replace</c> makes the rest of the patch list the whole list. Returns the new original and the
    /// patch without the special elements.
    /// </summary>
    private static (List<JsonNode?> Original, List<JsonNode?> Patch) ApplySpecialElements(
        List<JsonNode?> original, List<JsonNode?> patch, string mergeKey, Type? elementType)
    {
        var plain = new List<JsonNode?>();
        var replace = false;
        foreach (var item in patch)
        {
            var obj = (JsonObject)item!;
            if (!obj.TryGetPropertyValue(PatchDirective, out var directive))
            {
                plain.Add(obj);
                continue;
            }

            switch (DirectiveName(directive))
            {
                case "delete":
                    var keyValue = MergeKeyOf(obj, mergeKey);
                    original = original
                        .Where(o => !(o is JsonObject m && m.TryGetPropertyValue(mergeKey, out var v) && JsonValues.ScalarKey(v) == keyValue))
                        .ToList();
                    break;
                case "replace":
                    replace = true;
                    break;
                case "merge":
                    obj.Remove(PatchDirective);
                    plain.Add(obj);
                    break;
                default:
                    throw PatchErrors.Malformed($"unknown patch type: {directive?.ToJsonString()} in map: {obj.ToJsonString()}");
            }
        }

        if (!replace) return (original, plain);
        // Replacing: the remaining patch elements are the new list, cleaned of directives as new values are.
        var replacement = plain.Select(p => (JsonNode?)(MergeMap(new JsonObject(), (JsonObject)p!, elementType) ?? new JsonObject())).ToList();
        return (replacement, []);
    }

    /// <summary>
    /// Processes every <c>$setElementOrder/field</c>: merges that field's patch list now and orders the result by
    /// the directive, with elements the directive does not name kept where they were relative to the live list.
    /// </summary>
    private static void ApplySetElementOrders(JsonObject original, JsonObject patch, Type? type)
    {
        foreach (var key in patch.Select(p => p.Key).Where(k => k.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal)).ToList())
        {
            if (Detach(patch, key) is not JsonArray orderList)
                throw PatchErrors.Malformed($"invalid patch: {key} must be a list");
            var field = key[SetElementOrderPrefix.Length..];
            if (field.Length == 0) throw PatchErrors.Malformed($"invalid patch: {key} names no field");

            var fieldType = ModelSchema.Member(type, field);
            var meta = PatchMetadata.ForList(type, field);
            var mergeKey = meta?.MergeKey;
            var orderKeys = Identities(Drain(orderList), mergeKey);

            original.TryGetPropertyValue(field, out var originalNode);
            patch.TryGetPropertyValue(field, out var patchNode);
            if (originalNode is not (null or JsonArray) || patchNode is not (null or JsonArray))
                throw PatchErrors.Malformed($"invalid patch: {key} is given for {field}, which is not a list");
            var originalList = originalNode as JsonArray;
            var patchList = patchNode is JsonArray ? (JsonArray)Detach(patch, field)! : null;

            if (patchList is not null) ValidateOrderCoversPatch(patchList, orderKeys, mergeKey, key);

            var originalKeys = originalList is null ? [] : Identities(originalList.ToList(), mergeKey);
            JsonArray merged;
            if (originalList is not null && patchList is not null)
            {
                original.Remove(field);
                merged = MergeListField(originalList, patchList, fieldType, meta, isDeleteList: false);
            }
            else if (patchList is not null)
            {
                merged = (JsonArray)FromPatch(patchList, fieldType, meta)!;
            }
            else if (originalList is not null)
            {
                original.Remove(field);
                merged = originalList;
            }
            else
            {
                continue;
            }

            var items = Drain(merged);
            original[field] = new JsonArray(EnforceOrder(items, orderKeys, originalKeys, mergeKey).ToArray());
        }
    }

    // Every non-directive element of the patch list must appear in $setElementOrder, in the same relative order.
    private static void ValidateOrderCoversPatch(JsonArray patchList, List<string> orderKeys, string? mergeKey, string directive)
    {
        var position = 0;
        foreach (var item in patchList)
        {
            if (item is JsonObject obj && obj.ContainsKey(PatchDirective)) continue;
            var identity = IdentityOf(item, mergeKey);
            while (position < orderKeys.Count && orderKeys[position] != identity) position++;
            if (position == orderKeys.Count)
                throw PatchErrors.Malformed($"invalid patch: the order in the patch list does not match the {directive} list");
            position++;
        }
    }

    /// <summary>
    /// The element order Kubernetes produces: elements named by <paramref name="patchOrder"/> in that order, elements
    /// only on the server in their live order, interleaved where both orders agree (<c>mergeSortedSlice</c>).
    /// </summary>
    private static List<JsonNode?> EnforceOrder(List<JsonNode?> merged, List<string> patchOrder, List<string> serverOrder, string? mergeKey)
    {
        var patchIndex = IndexBy(patchOrder);
        var serverIndex = IndexBy(serverOrder);

        var fromPatch = merged.Where(m => patchIndex.ContainsKey(IdentityOf(m, mergeKey)))
            .OrderBy(m => patchIndex[IdentityOf(m, mergeKey)]).ToList();
        var serverOnly = merged.Where(m => !patchIndex.ContainsKey(IdentityOf(m, mergeKey)))
            .OrderBy(m => serverIndex.GetValueOrDefault(IdentityOf(m, mergeKey), int.MaxValue)).ToList();

        var result = new List<JsonNode?>(merged.Count);
        int i = 0, j = 0;
        while (i < serverOnly.Count || j < fromPatch.Count)
        {
            if (j >= fromPatch.Count)
            {
                result.Add(serverOnly[i++]);
            }
            else if (i >= serverOnly.Count)
            {
                result.Add(fromPatch[j++]);
            }
            else
            {
                // A server-only element goes first only when both are in the live list and it came first there;
                // otherwise the patch element leads (so new elements land before unrelated server-only ones).
                var left = serverIndex.GetValueOrDefault(IdentityOf(serverOnly[i], mergeKey), -1);
                var right = serverIndex.GetValueOrDefault(IdentityOf(fromPatch[j], mergeKey), -1);
                result.Add(left >= 0 && right >= 0 && left < right ? serverOnly[i++] : fromPatch[j++]);
            }
        }

        return result;
    }

    private static Dictionary<string, int> IndexBy(List<string> keys)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++) index.TryAdd(keys[i], i);
        return index;
    }

    private static List<string> Identities(List<JsonNode?> items, string? mergeKey) =>
        items.Where(i => !(i is JsonObject obj && obj.ContainsKey(PatchDirective))).Select(i => IdentityOf(i, mergeKey)).ToList();

    // Elements are identified by their merge key value, or by their own value in a list of primitives.
    private static string IdentityOf(JsonNode? item, string? mergeKey) =>
        mergeKey is not null && item is JsonObject obj
            ? (obj.TryGetPropertyValue(mergeKey, out var v) ? JsonValues.ScalarKey(v) : "missing:" + obj.ToJsonString())
            : JsonValues.ScalarKey(item);

    private static string MergeKeyOf(JsonObject item, string mergeKey) =>
        item.TryGetPropertyValue(mergeKey, out var value)
            ? JsonValues.ScalarKey(value)
            : throw PatchErrors.CannotApply($"map: {item.ToJsonString()} does not contain declared merge key: {mergeKey}");

    private static void ApplyRetainKeys(JsonObject original, JsonObject patch)
    {
        if (!patch.TryGetPropertyValue(RetainKeysDirective, out var retain)) return;
        patch.Remove(RetainKeysDirective);
        if (retain is not JsonArray list || list.Any(k => JsonValues.KindOf(k) != JsonValueKind.String))
            throw PatchErrors.Malformed("invalid patch: $retainKeys must be a list of field names");

        var keep = list.Select(k => JsonValues.GetString((JsonValue)k!)).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in patch)
        {
            if (value is null || key.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal)
                || key.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal) || key == PatchDirective)
                continue;
            if (!keep.Contains(key))
                throw PatchErrors.Malformed($"invalid patch: field {key} is not listed in $retainKeys");
        }

        foreach (var key in original.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
        {
            original.Remove(key);
        }
    }

    /// <summary>
    /// A patch value for a field the original lacks (or holds with another JSON type): merged onto an empty value
    /// so directives and nulls inside it are resolved instead of stored.
    /// </summary>
    private static JsonNode? FromPatch(JsonNode patchValue, Type? fieldType, ListPatchMeta? meta) => patchValue switch
    {
        JsonObject map => MergeMap(new JsonObject(), map, fieldType),
        JsonArray list when meta is not null => MergeList(new JsonArray(), list, ModelSchema.Element(fieldType), meta, isDeleteList: false),
        _ => patchValue,
    };

    private static JsonArray DeleteFromPrimitives(JsonArray original, JsonArray toDelete)
    {
        var remove = toDelete.Select(JsonValues.ScalarKey).ToHashSet(StringComparer.Ordinal);
        return new JsonArray(Drain(original).Where(v => !remove.Contains(JsonValues.ScalarKey(v))).ToArray());
    }

    private static JsonValueKind ElementKind(JsonArray original, JsonArray patch)
    {
        JsonValueKind? kind = null;
        foreach (var item in original.Concat(patch))
        {
            var itemKind = JsonValues.KindOf(item) switch
            {
                JsonValueKind.True or JsonValueKind.False => JsonValueKind.True,
                var k => k,
            };
            if (itemKind == JsonValueKind.Array) throw PatchErrors.CannotApply("lists of lists are not supported");
            // Objects cannot be merged with primitives; primitives of different kinds still deduplicate fine.
            if (kind is { } previous && (previous == JsonValueKind.Object) != (itemKind == JsonValueKind.Object))
                throw PatchErrors.CannotApply("list element types are not identical");
            kind = itemKind;
        }

        return kind ?? JsonValueKind.Null;
    }

    private static string? DirectiveName(JsonNode? directive) =>
        directive is JsonValue value && value.GetValueKind() == JsonValueKind.String ? JsonValues.GetString(value) : null;

    private static JsonNode? Detach(JsonObject owner, string key)
    {
        owner.Remove(key, out var value);
        return value;
    }

    // Empties the array so its elements can be re-parented without copying.
    private static List<JsonNode?> Drain(JsonArray array)
    {
        var items = array.ToList();
        array.Clear();
        return items;
    }

    private static void SetOrRemove(JsonObject owner, string key, JsonNode? value)
    {
        if (value is null) owner.Remove(key);
        else owner[key] = value;
    }
}
