namespace Grainetes.Grains.Controllers;

/// <summary>
/// What one reconcile found: whether its object exists (the resync reminder follows it), whether it
/// changed anything (worth one more look), and when time alone will change the answer.
/// </summary>
internal readonly record struct ReconcileOutcome(bool Exists, bool Changed, TimeSpan? RequeueAfter)
{
    public static ReconcileOutcome Gone { get; } = new(false, false, null);
}
