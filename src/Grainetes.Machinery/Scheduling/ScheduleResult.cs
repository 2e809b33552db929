namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// A decision: the chosen node, or why none fits (<see cref="Message"/> worded as Kubernetes' FitError, with the
/// per-reason node counts in <see cref="Reasons"/>).
/// </summary>
public sealed record ScheduleResult(NodeInfo? Node, string? Message, IReadOnlyDictionary<string, int> Reasons, int FeasibleNodes)
{
    public bool Scheduled => Node is not null;
}
