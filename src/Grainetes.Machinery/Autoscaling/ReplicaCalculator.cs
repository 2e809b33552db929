namespace Grainetes.Machinery.Autoscaling;

/// <summary>
/// The replica count one resource metric asks for, after Kubernetes' pkg/controller/podautoscaler/replica_calculator.go:
/// <c>desired = ceil(ratio × ready pods)</c> where <c>ratio = usage / target</c>; nothing changes while the ratio is within
/// the tolerance of 1; pods without metrics count as using 100% of their request on a scale-down and 0% on a scale-up,
/// not-yet-ready pods as 0% on a scale-up, and neither may turn the direction of the change around.
/// </summary>
public sealed class ReplicaCalculator(AutoscalerTuning tuning)
{
    /// <summary>A target utilization (percent of the pods' requests).</summary>
    /// <param name="currentReplicas">The target's <c>spec.replicas</c>.</param>
    /// <exception cref="ReplicaCalculationException">No usable metrics, no pods, or a pod without a request.</exception>
    public ReplicaProposal ForUtilization(
        int currentReplicas, int targetUtilization, string resource, IReadOnlyList<AutoscalingPod> pods, IReadOnlyDictionary<string, PodMetric> metrics, DateTimeOffset now)
    {
        var usable = Usable(resource, pods, metrics, now, out var readyCount, out var unready, out var missing);
        var requests = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (pod.RequestMilli is not { } request)
            {
                throw new ReplicaCalculationException($"missing request for {resource} in container {pod.ContainerWithoutRequest ?? "?"} of Pod {pod.Name}");
            }

            requests[pod.Name] = request;
        }

        var (ratio, utilization, rawAverage) = UtilizationRatio(usable, requests, targetUtilization);
        var scaleUpWithUnready = unready.Count > 0 && ratio > 1.0;
        if (!scaleUpWithUnready && missing.Count == 0)
        {
            return new ReplicaProposal(WithinTolerance(ratio) ? currentReplicas : Ceiling(ratio * readyCount), utilization, rawAverage);
        }

        if (missing.Count > 0)
        {
            // A scale-down counts pods without metrics as fully busy (or at the target, when that is above 100%);
            // a scale-up counts them as idle: either way they damp the change.
            foreach (var name in missing)
            {
                usable[name] = ratio < 1.0 ? requests[name] * Math.Max(100, targetUtilization) / 100 : 0;
            }
        }

        if (scaleUpWithUnready)
        {
            foreach (var name in unready)
            {
                usable[name] = 0;
            }
        }

        var (newRatio, _, _) = UtilizationRatio(usable, requests, targetUtilization);
        return new ReplicaProposal(Damped(currentReplicas, ratio, newRatio, usable.Count), utilization, rawAverage);
    }

    /// <summary>A target average value per pod, in thousandths of the unit.</summary>
    /// <exception cref="ReplicaCalculationException">No usable metrics or no pods.</exception>
    public ReplicaProposal ForAverageValue(
        int currentReplicas, long targetMilli, string resource, IReadOnlyList<AutoscalingPod> pods, IReadOnlyDictionary<string, PodMetric> metrics, DateTimeOffset now)
    {
        var usable = Usable(resource, pods, metrics, now, out var readyCount, out var unready, out var missing);
        var (ratio, average) = UsageRatio(usable, targetMilli);
        var scaleUpWithUnready = unready.Count > 0 && ratio > 1.0;
        if (!scaleUpWithUnready && missing.Count == 0)
        {
            return new ReplicaProposal(WithinTolerance(ratio) ? currentReplicas : Ceiling(ratio * readyCount), null, average);
        }

        foreach (var name in missing)
        {
            usable[name] = ratio < 1.0 ? targetMilli : 0;
        }

        if (scaleUpWithUnready)
        {
            foreach (var name in unready)
            {
                usable[name] = 0;
            }
        }

        var (newRatio, _) = UsageRatio(usable, targetMilli);
        return new ReplicaProposal(Damped(currentReplicas, ratio, newRatio, usable.Count), null, average);
    }

    /// <summary>
    /// Kubernetes' groupPods: the metrics of ready pods. Deleted and failed pods are ignored; pending and (for cpu)
    /// not-yet-ready pods are unready; running pods without a metric are missing.
    /// </summary>
    private Dictionary<string, long> Usable(
        string resource, IReadOnlyList<AutoscalingPod> pods, IReadOnlyDictionary<string, PodMetric> metrics, DateTimeOffset now,
        out int readyCount, out List<string> unready, out List<string> missing)
    {
        if (metrics.Count == 0)
        {
            throw new ReplicaCalculationException($"unable to get metrics for resource {resource}: no metrics returned from resource metrics API");
        }

        if (pods.Count == 0)
        {
            throw new ReplicaCalculationException("no pods returned by selector while calculating replica count");
        }

        readyCount = 0;
        unready = [];
        missing = [];
        var usable = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (pod.Deleting || pod.Phase == "Failed")
            {
                continue;
            }

            if (pod.Phase == "Pending")
            {
                unready.Add(pod.Name);
                continue;
            }

            if (!metrics.TryGetValue(pod.Name, out var metric))
            {
                missing.Add(pod.Name);
                continue;
            }

            if (resource == "cpu" && IsUnreadyForCpu(pod, metric, now))
            {
                unready.Add(pod.Name);
                continue;
            }

            readyCount++;
            usable[pod.Name] = metric.ValueMilli;
        }

        if (usable.Count == 0)
        {
            throw new ReplicaCalculationException("did not receive metrics for targeted pods (pods might be unready)");
        }

        return usable;
    }

    /// <summary>
    /// A cpu sample is doubted while the pod is young: if it is not ready, or the sample's window began before it
    /// became ready (start-up cpu is not load). Later, only a pod that has never been ready is unready.
    /// </summary>
    private bool IsUnreadyForCpu(AutoscalingPod pod, PodMetric metric, DateTimeOffset now)
    {
        if (pod.Ready is not { } ready || pod.StartTime is not { } started)
        {
            return true;
        }

        var transition = pod.ReadyTransition ?? DateTimeOffset.MinValue;
        if (started + tuning.CpuInitializationPeriod > now)
        {
            return !ready || metric.Timestamp < transition + metric.Window;
        }

        return !ready && started + tuning.InitialReadinessDelay > transition;
    }

    /// <summary>Kubernetes' GetResourceUtilizationRatio: integer percent of the summed requests, then over the target.</summary>
    private static (double Ratio, int Utilization, long RawAverage) UtilizationRatio(Dictionary<string, long> usage, Dictionary<string, long> requests, int target)
    {
        long usageTotal = 0, requestTotal = 0;
        var entries = 0;
        foreach (var (name, value) in usage)
        {
            if (!requests.TryGetValue(name, out var request))
            {
                continue;
            }

            usageTotal += value;
            requestTotal += request;
            entries++;
        }

        if (requestTotal == 0)
        {
            throw new ReplicaCalculationException("no metrics returned matched known pods");
        }

        var utilization = (int)(usageTotal * 100 / requestTotal);
        return ((double)utilization / target, utilization, usageTotal / entries);
    }

    private static (double Ratio, long Average) UsageRatio(Dictionary<string, long> usage, long target)
    {
        var average = usage.Values.Sum() / usage.Count;
        return ((double)average / target, average);
    }

    /// <summary>The second pass's answer, unless it is within tolerance or turns the direction of the first around.</summary>
    private int Damped(int currentReplicas, double ratio, double newRatio, int counted)
    {
        if (WithinTolerance(newRatio) || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0))
        {
            return currentReplicas;
        }

        var replicas = Ceiling(newRatio * counted);
        return (newRatio < 1.0 && replicas > currentReplicas) || (newRatio > 1.0 && replicas < currentReplicas) ? currentReplicas : replicas;
    }

    private bool WithinTolerance(double ratio) => Math.Abs(1.0 - ratio) <= tuning.Tolerance;

    private static int Ceiling(double value) => (int)Math.Ceiling(value);
}
