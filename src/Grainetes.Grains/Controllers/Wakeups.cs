namespace Grainetes.Grains.Controllers;

/// <summary>
/// The controllers one batch of changes wakes, each once, with the trace context of the latest change that named
/// it: the wake-up continues that writer's trace.
/// </summary>
internal sealed class Wakeups : IEnumerable<KeyValuePair<string, string?>>
{
    private readonly Dictionary<string, string?> keys = new(StringComparer.Ordinal);

    public void Add(string key, string? traceParent)
    {
        if (traceParent is not null || !keys.ContainsKey(key))
        {
            keys[key] = traceParent;
        }
    }

    public void UnionWith(IEnumerable<string> more, string? traceParent)
    {
        foreach (var key in more)
        {
            Add(key, traceParent);
        }
    }

    public IEnumerator<KeyValuePair<string, string?>> GetEnumerator() => keys.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
