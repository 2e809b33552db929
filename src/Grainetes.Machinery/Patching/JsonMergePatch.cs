using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Patching;

/// <summary>RFC 7386 JSON merge patch (<c>application/merge-patch+json</c>).</summary>
public static class JsonMergePatch
{
    /// <summary>
    /// Returns <paramref name="target"/> with <paramref name="patch"/> merged in: <c>null</c> deletes a member,
    /// objects merge recursively, anything else (arrays included) replaces. Neither input is modified.
    /// </summary>
    public static JsonObject Apply(JsonObject target, JsonObject patch)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(patch);
        return MergeObject((JsonObject)target.DeepClone(), patch);
    }

    // `result` is already a private copy, so it is edited in place; values taken from the patch are cloned
    // because a node can only have one parent and the patch must stay untouched.
    private static JsonObject MergeObject(JsonObject result, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else if (value is JsonObject patchObject)
            {
                var existing = result[name] as JsonObject;
                // Detach before merging so the merged object can be re-attached under the same name.
                result.Remove(name);
                result[name] = MergeObject(existing ?? new JsonObject(), patchObject);
            }
            else
            {
                result[name] = value.DeepClone();
            }
        }

        return result;
    }
}
