namespace Grainetes.Grains.Store;

/// <summary>What an object grain persists: the object's JSON (null when absent) and its resource version.</summary>
[GenerateSerializer, Alias("grainetes.StoredObjectState")]
public sealed class StoredObjectState
{
    [Id(0)]
    public string? Json { get; set; }

    [Id(1)]
    public long ResourceVersion { get; set; }
}
