namespace Grainetes.Machinery.Patching;

/// <summary>
/// How a list field merges: the Go struct tags <c>patchStrategy:"merge" patchMergeKey:"..."</c> for strategic
/// merge patch, and <c>+listType</c>/<c>+listMapKey</c> for server-side apply. Lists without metadata are atomic
/// and a patch replaces them whole.
/// </summary>
public sealed record ListPatchMeta
{
    /// <summary>The strategic merge key; <c>null</c> for a merging list of primitives (a set).</summary>
    public string? MergeKey { get; init; }

    /// <summary>The associative keys server-side apply identifies elements by (<c>k:{...}</c>); empty for a set.</summary>
    public IReadOnlyList<ListMapKey> ApplyKeys { get; init; } = [];

    public bool IsPrimitiveSet => MergeKey is null;

    public static ListPatchMeta Set { get; } = new();

    public static ListPatchMeta Keyed(string mergeKey, params ListMapKey[] extraApplyKeys) => new()
    {
        MergeKey = mergeKey,
        ApplyKeys = [new ListMapKey(mergeKey), .. extraApplyKeys],
    };
}
