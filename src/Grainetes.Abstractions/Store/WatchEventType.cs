namespace Grainetes.Abstractions.Store;

/// <summary>The kinds of change a watch reports, spelled as Kubernetes spells them on the wire.</summary>
public enum WatchEventType
{
    Added,
    Modified,
    Deleted,
}
