namespace Grainetes.Machinery.Autoscaling;

/// <summary>
/// What one HPA's controller remembers between passes, and the normalization that uses it, after Kubernetes'
/// horizontal.go: the recent unstabilized recommendations (a scale-down takes the highest of its window, a
/// scale-up with a window the lowest) and the recent scale events (the behavior's rate policies count them).
/// Kept in memory as Kubernetes keeps it; a fresh history starts with the current size, so a controller that
/// lost its memory waits a whole window before scaling down.
/// </summary>
public sealed class AutoscalerHistory
{
    private const string ReadyMessage = "recommended size matches current size";
    private const string WithinRangeMessage = "the desired count is within the acceptable range";

    // Kubernetes without a behavior: at most double (and at least 4) per pass.
    private const int ScaleUpLimitFactor = 2;
    private const int ScaleUpLimitMinimum = 4;

    private readonly List<(int Replicas, DateTimeOffset At)> recommendations = [];
    private readonly List<(int Change, DateTimeOffset At)> scaleUps = [];
    private readonly List<(int Change, DateTimeOffset At)> scaleDowns = [];

    /// <summary>The recommendations remembered, oldest first (for tests and diagnostics).</summary>
    public IReadOnlyList<(int Replicas, DateTimeOffset At)> Recommendations => recommendations;

    /// <summary>Starts an empty history with the current size, as Kubernetes does on an HPA's first pass.</summary>
    public void Seed(int currentReplicas, DateTimeOffset now)
    {
        if (recommendations.Count == 0)
        {
            recommendations.Add((currentReplicas, now));
        }
    }

    /// <summary>Applies stabilization, the rate limits and the bounds to what the metrics proposed.</summary>
    /// <param name="proposed">The largest replica count any metric asked for.</param>
    public NormalizedScale Normalize(ScalingBehavior? behavior, int minReplicas, int maxReplicas, int currentReplicas, int proposed, DateTimeOffset now, TimeSpan defaultDownscaleWindow)
    {
        if (behavior is null)
        {
            var stabilized = StabilizeDown(proposed, now, defaultDownscaleWindow);
            var (replicas, reason, message) = Bounds(currentReplicas, stabilized, minReplicas, maxReplicas);
            return new NormalizedScale(
                replicas,
                stabilized != proposed ? "ScaleDownStabilized" : "ReadyForNewScale",
                stabilized != proposed ? "recent recommendations were higher than current one, applying the highest recent recommendation" : ReadyMessage,
                replicas != stabilized,
                reason,
                message);
        }

        var downWindow = behavior.ScaleDown.StabilizationWindowSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : defaultDownscaleWindow;
        var (recommended, stabilizedReason, stabilizedMessage) = StabilizeWithBehavior(behavior, currentReplicas, proposed, now, downWindow);
        var (limited, limitReason, limitMessage) = RateLimit(behavior, minReplicas, maxReplicas, currentReplicas, recommended, now);
        return new NormalizedScale(
            limited,
            recommended != proposed ? stabilizedReason : "ReadyForNewScale",
            recommended != proposed ? stabilizedMessage : ReadyMessage,
            limited != recommended,
            limitReason,
            limitMessage);
    }

    /// <summary>Remembers a rescale for the behavior's rate policies (only HPAs with a behavior count them).</summary>
    public void RecordScale(ScalingBehavior? behavior, int from, int to, DateTimeOffset now)
    {
        if (behavior is null || from == to)
        {
            return;
        }

        var (events, rules) = to > from ? (scaleUps, behavior.ScaleUp) : (scaleDowns, behavior.ScaleDown);
        var cutoff = now - TimeSpan.FromSeconds(rules.LongestPeriodSeconds);
        events.RemoveAll(e => e.At < cutoff);
        events.Add((Math.Abs(to - from), now));
    }

    /// <summary>Kubernetes' stabilizeRecommendation: the highest recommendation of the window, this one included.</summary>
    private int StabilizeDown(int proposed, DateTimeOffset now, TimeSpan window)
    {
        var cutoff = now - window;
        var highest = proposed;
        foreach (var (replicas, at) in recommendations)
        {
            if (at >= cutoff && replicas > highest)
            {
                highest = replicas;
            }
        }

        Remember(proposed, now, cutoff);
        return highest;
    }

    /// <summary>Kubernetes' stabilizeRecommendationWithBehaviors: the size kept between the lowest recent recommendation (up) and the highest (down).</summary>
    private (int Replicas, string Reason, string Message) StabilizeWithBehavior(ScalingBehavior behavior, int currentReplicas, int proposed, DateTimeOffset now, TimeSpan downWindow)
    {
        var upCutoff = now - TimeSpan.FromSeconds(behavior.ScaleUp.StabilizationWindowSeconds ?? 0);
        var downCutoff = now - downWindow;
        var up = proposed;
        var down = proposed;
        foreach (var (replicas, at) in recommendations)
        {
            if (at > upCutoff)
            {
                up = Math.Min(up, replicas);
            }

            if (at > downCutoff)
            {
                down = Math.Max(down, replicas);
            }
        }

        var recommendation = Math.Min(Math.Max(currentReplicas, up), down);
        Remember(proposed, now, upCutoff < downCutoff ? upCutoff : downCutoff);
        return proposed >= currentReplicas
            ? (recommendation, "ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation")
            : (recommendation, "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation");
    }

    /// <summary>Records a recommendation, reusing a slot that has aged out of every window so the list stays short.</summary>
    private void Remember(int replicas, DateTimeOffset now, DateTimeOffset cutoff)
    {
        var old = recommendations.FindIndex(r => r.At < cutoff);
        if (old >= 0)
        {
            recommendations[old] = (replicas, now);
        }
        else
        {
            recommendations.Add((replicas, now));
        }
    }

    /// <summary>Kubernetes' convertDesiredReplicasWithRules (no behavior): the bounds, and at most doubling per pass.</summary>
    private static (int Replicas, string Reason, string Message) Bounds(int currentReplicas, int desired, int minReplicas, int maxReplicas)
    {
        var scaleUpLimit = Math.Max(ScaleUpLimitFactor * currentReplicas, ScaleUpLimitMinimum);
        var (maximum, reason, message) = maxReplicas > scaleUpLimit
            ? (scaleUpLimit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
            : (maxReplicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count");
        if (desired < minReplicas)
        {
            return (minReplicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count");
        }

        return desired > maximum ? (maximum, reason, message) : (desired, "DesiredWithinRange", WithinRangeMessage);
    }

    /// <summary>Kubernetes' convertDesiredReplicasWithBehaviorRate: the bounds and the behavior's policies over recent scale events.</summary>
    private (int Replicas, string Reason, string Message) RateLimit(ScalingBehavior behavior, int minReplicas, int maxReplicas, int currentReplicas, int desired, DateTimeOffset now)
    {
        if (desired > currentReplicas)
        {
            var limit = Math.Max(currentReplicas, ScaleUpLimitOf(behavior.ScaleUp, currentReplicas, now));
            var (maximum, reason, message) = maxReplicas > limit
                ? (limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
                : (maxReplicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count");
            if (desired > maximum)
            {
                return (maximum, reason, message);
            }
        }
        else if (desired < currentReplicas)
        {
            var limit = Math.Min(currentReplicas, ScaleDownLimitOf(behavior.ScaleDown, currentReplicas, now));
            var (minimum, reason, message) = minReplicas < limit
                ? (limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
                : (minReplicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count");
            if (desired < minimum)
            {
                return (minimum, reason, message);
            }
        }

        return (desired, "DesiredWithinRange", WithinRangeMessage);
    }

    private int ScaleUpLimitOf(ScalingRules rules, int currentReplicas, DateTimeOffset now)
    {
        if (rules.SelectPolicy == "Disabled")
        {
            return currentReplicas;
        }

        var min = rules.SelectPolicy == "Min";
        var result = min ? int.MaxValue : int.MinValue;
        foreach (var policy in rules.Policies)
        {
            var periodStart = currentReplicas - ChangeWithin(scaleUps, policy.PeriodSeconds, now) + ChangeWithin(scaleDowns, policy.PeriodSeconds, now);
            var proposed = policy.Type == "Pods"
                ? periodStart + policy.Value
                : (int)Math.Ceiling(periodStart * (1 + (policy.Value / 100.0)));
            result = min ? Math.Min(result, proposed) : Math.Max(result, proposed);
        }

        return result;
    }

    private int ScaleDownLimitOf(ScalingRules rules, int currentReplicas, DateTimeOffset now)
    {
        if (rules.SelectPolicy == "Disabled")
        {
            return currentReplicas;
        }

        var min = rules.SelectPolicy == "Min";
        var result = min ? int.MinValue : int.MaxValue;
        foreach (var policy in rules.Policies)
        {
            var periodStart = currentReplicas - ChangeWithin(scaleUps, policy.PeriodSeconds, now) + ChangeWithin(scaleDowns, policy.PeriodSeconds, now);
            var proposed = policy.Type == "Pods"
                ? periodStart - policy.Value
                : (int)(periodStart * (1 - (policy.Value / 100.0)));
            result = min ? Math.Max(result, proposed) : Math.Min(result, proposed);
        }

        return result;
    }

    private static int ChangeWithin(List<(int Change, DateTimeOffset At)> events, int periodSeconds, DateTimeOffset now)
    {
        var cutoff = now - TimeSpan.FromSeconds(periodSeconds);
        return events.Where(e => e.At > cutoff).Sum(e => e.Change);
    }
}
