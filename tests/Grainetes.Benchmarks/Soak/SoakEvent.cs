namespace Grainetes.Benchmarks.Soak;

/// <summary>One change to an object: its watch event type and resourceVersion (0 when the answer carried none).</summary>
public readonly record struct SoakEvent(string Type, long ResourceVersion)
{
    public bool Matches(SoakEvent seen) => Type == seen.Type && (ResourceVersion == 0 || ResourceVersion == seen.ResourceVersion);

    public override string ToString() => $"{Type}@{ResourceVersion}";
}
