namespace Grainetes.Grains.Store;

/// <summary>The rest of a chunked list, kept so later chunks come from the same point in time.</summary>
internal sealed record ListSnapshot(IReadOnlyList<string> Items, long ResourceVersion, DateTimeOffset Expires);
