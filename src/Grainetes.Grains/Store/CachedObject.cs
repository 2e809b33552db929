namespace Grainetes.Grains.Store;

/// <summary>A kind's in-memory copy of one object, with what lists filter on most kept parsed.</summary>
internal sealed record CachedObject(
    long ResourceVersion,
    string Json,
    IReadOnlyDictionary<string, string>? Labels,
    IReadOnlyList<string> OwnerUids);
