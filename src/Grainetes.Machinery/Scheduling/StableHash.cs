namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// FNV-1a and a 64-bit finalizer: the same on every run and every machine, unlike <see cref="string.GetHashCode()"/>,
/// so tie-breaks between equally good nodes are reproducible.
/// </summary>
internal static class StableHash
{
    public static ulong Of(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return Mix(hash);
    }

    public static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return x;
    }
}
