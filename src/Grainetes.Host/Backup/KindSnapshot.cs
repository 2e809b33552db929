namespace Grainetes.Host.Backup;

/// <summary>One kind's objects as they stood after every change up to <see cref="ResourceVersion"/>.</summary>
public sealed record KindSnapshot(
    string Kind,
    long ResourceVersion,
    long ReservedUpTo,
    IReadOnlyList<(string Namespace, string Name, long ResourceVersion, string Json)> Objects);
