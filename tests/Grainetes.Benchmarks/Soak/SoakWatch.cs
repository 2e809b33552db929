using System.Collections.Concurrent;

namespace Grainetes.Benchmarks.Soak;

/// <summary>One open watch on a namespace's ConfigMaps: what it saw per object, in order, and how far it has got.</summary>
public sealed class SoakWatch(int id, string @namespace, long startVersion)
{
    private long lastVersion = startVersion;

    public int Id { get; } = id;

    public string Namespace { get; } = @namespace;

    public long StartVersion { get; } = startVersion;

    public ConcurrentDictionary<string, List<SoakEvent>> Seen { get; } = new(StringComparer.Ordinal);

    public long LastVersion
    {
        get => Volatile.Read(ref lastVersion);
        set => Volatile.Write(ref lastVersion, value);
    }

    public bool Failed { get; set; }

    public void Record(string name, SoakEvent e) => Seen.GetOrAdd(name, _ => []).Add(e);
}
