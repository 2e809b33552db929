using System.Globalization;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Patching;

/// <summary>
/// A simplified server-side apply (<c>application/apply-patch+yaml</c>, <c>kubectl apply --server-side</c>): the
/// applied configuration is strategically merged onto the live object and the applier's field set is recorded in
/// <c>metadata.managedFields</c>. Conflicts between managers are not detected (every apply behaves as forced), and
/// fields a manager stops applying are left in place rather than removed.
/// </summary>
public static class ServerSideApply
{
    public const string ApplyOperation = "Apply";

    /// <summary>
    /// Returns the object that results from <paramref name="fieldManager"/> applying <paramref name="applied"/> to
    /// <paramref name="live"/> (<c>null</c> when the object does not exist yet). Neither input is modified.
    /// </summary>
    /// <param name="now">The time recorded in the managed fields entry; the current time when omitted.</param>
    public static JsonObject Apply(JsonObject? live, JsonObject applied, Type modelType, string fieldManager, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(applied);
        ArgumentNullException.ThrowIfNull(modelType);
        if (string.IsNullOrEmpty(fieldManager))
            throw PatchErrors.Malformed("PATCH requests with apply content type require a fieldManager (the fieldManager query parameter)");
        if (applied["metadata"] is JsonObject appliedMetadata && appliedMetadata["managedFields"] is JsonArray { Count: > 0 })
            throw PatchErrors.Malformed("metadata.managedFields must be nil");

        var result = live is null
            ? (JsonObject)applied.DeepClone()
            : StrategicMergePatch.Apply(live, WithoutManagedFields(applied), modelType);

        var entries = live?["metadata"]?["managedFields"] is JsonArray liveEntries
            ? (JsonArray)liveEntries.DeepClone()
            : new JsonArray();
        var entry = new JsonObject
        {
            ["manager"] = fieldManager,
            ["operation"] = ApplyOperation,
            ["apiVersion"] = (applied["apiVersion"] ?? live?["apiVersion"])?.DeepClone(),
            ["time"] = (now ?? DateTimeOffset.UtcNow).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = ManagedFieldsEncoder.Encode(applied, modelType),
        };

        // Refresh this manager's Apply entry in place; every other manager's entries are kept as they are.
        var existing = entries.Select((e, i) => (Entry: e, Index: i))
            .FirstOrDefault(x => IsApplyEntryOf(x.Entry, fieldManager), (null, -1));
        if (existing.Index >= 0) entries[existing.Index] = entry;
        else entries.Add(entry);

        if (result["metadata"] is not JsonObject metadata)
        {
            metadata = new JsonObject();
            result["metadata"] = metadata;
        }

        metadata["managedFields"] = entries;
        return result;
    }

    private static bool IsApplyEntryOf(JsonNode? entry, string fieldManager) =>
        entry is JsonObject obj
        && obj["manager"] is JsonValue manager && manager.TryGetValue<string>(out var name) && name == fieldManager
        && obj["operation"] is JsonValue operation && operation.TryGetValue<string>(out var op) && op == ApplyOperation;

    private static JsonObject WithoutManagedFields(JsonObject applied)
    {
        if (applied["metadata"] is not JsonObject metadata || !metadata.ContainsKey("managedFields")) return applied;
        var copy = (JsonObject)applied.DeepClone();
        ((JsonObject)copy["metadata"]!).Remove("managedFields");
        return copy;
    }
}
