using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Admission;

/// <summary>
/// Kubernetes' quota admission decision (apiserver's resourcequota controller and the pod evaluator's
/// Constraints), with its messages: a pod must state the compute resources a quota limits, and no write
/// may take a quota's usage past its hard limit.
/// </summary>
public static class QuotaEvaluation
{
    /// <summary>
    /// Why the write is refused (the text after <c>is forbidden: </c>), or null when every quota admits it.
    /// <paramref name="used"/> is the namespace's usage before the write; <paramref name="requested"/> is what
    /// the write adds (the new object's usage minus the old one's).
    /// </summary>
    public static string? Refusal(
        string storageKey,
        JsonObject obj,
        IEnumerable<QuotaLimit> quotas,
        IReadOnlyDictionary<string, decimal> used,
        IReadOnlyDictionary<string, decimal> requested)
    {
        var ordered = quotas.OrderBy(q => q.Name, StringComparer.Ordinal).ToList();
        if (storageKey == "pods")
        {
            foreach (var quota in ordered)
            {
                if (MissingCompute(obj, quota.Hard.Keys) is { } missing)
                {
                    return $"failed quota: {quota.Name}: {missing}";
                }
            }
        }

        var increased = requested.Where(r => r.Value > 0m).Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var quota in ordered)
        {
            var covered = quota.Hard.Keys.Where(increased.Contains).ToList();
            var exceeded = covered.Where(name => used.GetValueOrDefault(name) + requested[name] > quota.Hard[name]).ToList();
            if (exceeded.Count > 0)
            {
                return $"exceeded quota: {quota.Name}, requested: {ResourceAmounts.PrettyPrint(ResourceAmounts.Mask(requested, exceeded))}, "
                    + $"used: {ResourceAmounts.PrettyPrint(ResourceAmounts.Mask(used, exceeded))}, "
                    + $"limited: {ResourceAmounts.PrettyPrint(ResourceAmounts.Mask(quota.Hard, exceeded))}";
            }
        }

        return null;
    }

    /// <summary>
    /// Kubernetes' backward-compatible rule: a quota on cpu or memory obliges every container to state it
    /// (<c>must specify limits.cpu for: app; requests.memory for: app,sidecar</c>); null when all do.
    /// </summary>
    public static string? MissingCompute(JsonObject pod, IEnumerable<string> hardNames)
    {
        var required = hardNames.Where(QuotaUsage.ComputeResources.Contains).ToHashSet(StringComparer.Ordinal);
        if (required.Count == 0)
        {
            return null;
        }

        var missing = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        var spec = pod["spec"];
        foreach (var container in QuotaUsage.Containers(spec, "containers").Concat(QuotaUsage.Containers(spec, "initContainers")))
        {
            var (requests, limits) = QuotaUsage.ContainerResources(container);
            var stated = new HashSet<string>(StringComparer.Ordinal);
            foreach (var name in requests.Keys)
            {
                stated.Add(name);
                stated.Add("requests." + name);
            }

            foreach (var name in limits.Keys)
            {
                stated.Add("limits." + name);
            }

            foreach (var resource in required.Where(r => !stated.Contains(r)))
            {
                if (!missing.TryGetValue(resource, out var names))
                {
                    names = new SortedSet<string>(StringComparer.Ordinal);
                    missing[resource] = names;
                }

                names.Add(AdmissionJson.Str(container["name"]) ?? "");
            }
        }

        return missing.Count == 0
            ? null
            : "must specify " + string.Join("; ", missing.Select(m => $"{m.Key} for: {string.Join(",", m.Value)}"));
    }
}
