namespace Grainetes.Benchmarks.Soak;

/// <summary>One ConfigMap, written by exactly one soak client: every change the API acknowledged, in order.</summary>
public sealed class SoakObject(string @namespace, string name)
{
    public string Namespace { get; } = @namespace;

    public string Name { get; } = name;

    public List<SoakEvent> Acknowledged { get; } = [];

    public bool Exists { get; set; }

    /// <summary>A write got no clear answer (a 5xx or a client timeout): its outcome is unknown, so the object leaves the checks.</summary>
    public bool Uncertain { get; set; }

    public long LastVersion => Acknowledged.Count == 0 ? 0 : Acknowledged[^1].ResourceVersion;
}
