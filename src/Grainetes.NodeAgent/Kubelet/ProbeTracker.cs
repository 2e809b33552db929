using System.Text.Json.Nodes;
using static Grainetes.NodeAgent.Kubelet.PodJson;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>One probe of one container instance: when it is next due and its consecutive results against the thresholds.</summary>
internal sealed class ProbeTracker(ProbeKind kind, JsonObject probe, DateTimeOffset startedAt)
{
    private int successes;
    private int failures;

    public ProbeKind Kind { get; } = kind;

    public JsonObject Probe { get; } = probe;

    public TimeSpan Period { get; } = Seconds(probe, "periodSeconds", 10);

    public TimeSpan Timeout { get; } = Seconds(probe, "timeoutSeconds", 1);

    public int SuccessThreshold { get; } = (int)Math.Max(1, Int(probe, "successThreshold") ?? 1);

    public int FailureThreshold { get; } = (int)Math.Max(1, Int(probe, "failureThreshold") ?? 3);

    public DateTimeOffset NextDue { get; private set; } = startedAt + Seconds(probe, "initialDelaySeconds", 0);

    /// <summary>The settled outcome: null until a threshold is first crossed.</summary>
    public bool? Result { get; private set; }

    /// <summary>Consecutive failures since the last success (for Unhealthy messages and liveness kills).</summary>
    public int Failures => failures;

    public bool IsDue(DateTimeOffset now) => now >= NextDue;

    /// <summary>Counts one run; returns true when the settled result changed.</summary>
    public bool Record(bool success, DateTimeOffset now)
    {
        NextDue = now + Period;
        var before = Result;
        if (success)
        {
            failures = 0;
            successes++;
            if (successes >= SuccessThreshold) Result = true;
        }
        else
        {
            successes = 0;
            failures++;
            if (failures >= FailureThreshold) Result = false;
        }

        return before != Result;
    }

    private static TimeSpan Seconds(JsonObject probe, string field, long fallback) =>
        TimeSpan.FromSeconds(Math.Max(0, Int(probe, field) ?? fallback));
}
