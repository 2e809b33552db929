using System.Text.Json.Nodes;
using static Grainetes.Grains.Controllers.ControllerJson;

namespace Grainetes.Grains.Controllers;

/// <summary>
/// Kubernetes' ActivePods ordering: the pods least worth keeping sort first, so scaling down deletes them
/// first — unscheduled before scheduled, Pending before Unknown before Running, not ready before ready,
/// ready for less time before longer, more restarts before fewer, newer before older.
/// </summary>
internal sealed class ActivePodsComparer : IComparer<JsonObject>
{
    public static ActivePodsComparer Instance { get; } = new();

    public int Compare(JsonObject? x, JsonObject? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null || y is null)
        {
            return x is null ? -1 : 1;
        }

        var scheduled = IsScheduled(x).CompareTo(IsScheduled(y));
        if (scheduled != 0)
        {
            return scheduled;
        }

        var phase = PhaseOrdinal(x).CompareTo(PhaseOrdinal(y));
        if (phase != 0)
        {
            return phase;
        }

        var ready = IsPodReady(x).CompareTo(IsPodReady(y));
        if (ready != 0)
        {
            return ready;
        }

        if (ReadySince(x) is { } xs && ReadySince(y) is { } ys && xs != ys)
        {
            // Ready for less time sorts first.
            return ys.CompareTo(xs);
        }

        var restarts = Restarts(y).CompareTo(Restarts(x));
        if (restarts != 0)
        {
            return restarts;
        }

        var created = Created(y).CompareTo(Created(x));
        return created != 0 ? created : string.CompareOrdinal(Name(y), Name(x));
    }

    private static bool IsScheduled(JsonObject pod) => !string.IsNullOrEmpty(Str(pod["spec"]?["nodeName"]));

    private static int PhaseOrdinal(JsonObject pod) => Str(pod["status"]?["phase"]) switch
    {
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    };
}
