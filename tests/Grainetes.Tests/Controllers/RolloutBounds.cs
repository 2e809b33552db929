using System.Text.Json.Nodes;
using static Grainetes.Tests.Controllers.Workloads;

namespace Grainetes.Tests.Controllers;

/// <summary>
/// What a RollingUpdate may never exceed, checked on every pod snapshot taken while it runs: at most
/// replicas + maxSurge pods that are not being deleted, at least replicas - maxUnavailable of them Ready.
/// </summary>
internal sealed class RolloutBounds(int replicas, int maxSurge, int maxUnavailable)
{
    public int Samples { get; private set; }

    public int MostPods { get; private set; }

    public int FewestReady { get; private set; } = int.MaxValue;

    public void Sample(IEnumerable<JsonObject> pods)
    {
        var live = pods.Where(p => !IsDeleting(p)).ToList();
        Samples++;
        MostPods = Math.Max(MostPods, live.Count);
        FewestReady = Math.Min(FewestReady, live.Count(IsReady));
    }

    public void AssertHeld()
    {
        Assert.True(Samples > 3, $"only {Samples} samples");
        Assert.True(MostPods <= replicas + maxSurge, $"saw {MostPods} pods; maxSurge {maxSurge} allows {replicas + maxSurge}");
        Assert.True(FewestReady >= replicas - maxUnavailable, $"saw only {FewestReady} ready pods; maxUnavailable {maxUnavailable} needs {replicas - maxUnavailable}");
    }
}
