using System.Globalization;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Admission;

/// <summary>
/// Kubernetes' LimitRanger: defaults for LimitRange items as the API stores them, container defaults applied
/// to pods (with the <c>kubernetes.io/limit-ranger</c> annotation saying what was set), and the min, max and
/// maxLimitRequestRatio checks of <c>Container</c> and <c>Pod</c> items with Kubernetes' messages.
/// </summary>
public static class LimitRanges
{
    public const string Annotation = "kubernetes.io/limit-ranger";

    /// <summary>
    /// API defaulting of a LimitRange's Container items: a missing default limit comes from max, a missing
    /// default request from the default limit, then from min.
    /// </summary>
    public static void DefaultItems(JsonObject limitRange)
    {
        foreach (var item in Items(limitRange).Where(i => AdmissionJson.Str(i["type"]) == "Container"))
        {
            var defaults = Copy(item["default"]);
            var requests = Copy(item["defaultRequest"]);
            foreach (var (name, value) in Copy(item["max"]))
            {
                defaults.TryAdd(name, value);
            }

            foreach (var (name, value) in defaults)
            {
                requests.TryAdd(name, value);
            }

            foreach (var (name, value) in Copy(item["min"]))
            {
                requests.TryAdd(name, value);
            }

            SetList(item, "default", defaults);
            SetList(item, "defaultRequest", requests);
        }
    }

    /// <summary>
    /// Fills each container's missing limits and requests from the Container items' defaults (after letting a
    /// stated limit stand in for a missing request, as API defaulting does first). True when anything was set.
    /// </summary>
    public static bool ApplyDefaults(JsonObject pod, IReadOnlyList<JsonObject> limitRanges)
    {
        var defaultLimits = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        var defaultRequests = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var item in limitRanges.SelectMany(Items).Where(i => AdmissionJson.Str(i["type"]) == "Container"))
        {
            foreach (var (name, value) in Copy(item["default"]))
            {
                defaultLimits[name] = value;
            }

            foreach (var (name, value) in Copy(item["defaultRequest"]))
            {
                defaultRequests[name] = value;
            }
        }

        if (defaultLimits.Count == 0 && defaultRequests.Count == 0)
        {
            return false;
        }

        var notes = new List<string>();
        var spec = pod["spec"];
        foreach (var container in QuotaUsage.Containers(spec, "containers"))
        {
            Merge(container, defaultLimits, defaultRequests, "container", notes);
        }

        foreach (var container in QuotaUsage.Containers(spec, "initContainers"))
        {
            Merge(container, defaultLimits, defaultRequests, "init container", notes);
        }

        if (notes.Count == 0)
        {
            return false;
        }

        var annotations = AdmissionJson.Child(AdmissionJson.Child(pod, "metadata"), "annotations");
        annotations[Annotation] = "LimitRanger plugin set: " + string.Join("; ", notes);
        return true;
    }

    /// <summary>
    /// Why the pod breaks a limit range (the first range it breaks, every problem with that range), or null.
    /// Several problems read as Kubernetes' aggregate error does: <c>[first, second]</c>.
    /// </summary>
    public static string? Refusal(JsonObject pod, IReadOnlyList<JsonObject> limitRanges)
    {
        foreach (var range in limitRanges.OrderBy(r => AdmissionJson.Str(AdmissionJson.At(r, "metadata", "name")), StringComparer.Ordinal))
        {
            var problems = Violations(pod, range).Distinct(StringComparer.Ordinal).ToList();
            if (problems.Count == 1)
            {
                return problems[0];
            }

            if (problems.Count > 1)
            {
                return "[" + string.Join(", ", problems) + "]";
            }
        }

        return null;
    }

    public static IEnumerable<string> Violations(JsonObject pod, JsonObject limitRange)
    {
        var spec = pod["spec"];
        foreach (var item in Items(limitRange))
        {
            var type = AdmissionJson.Str(item["type"]);
            if (type == "Container")
            {
                foreach (var container in QuotaUsage.Containers(spec, "containers").Concat(QuotaUsage.Containers(spec, "initContainers")))
                {
                    var (requests, limits) = QuotaUsage.ContainerResources(container);
                    foreach (var problem in Check("Container", item, requests, limits))
                    {
                        yield return problem;
                    }
                }
            }
            else if (type == "Pod")
            {
                var (requests, limits) = QuotaUsage.PodResources(pod);
                foreach (var problem in Check("Pod", item, requests, limits))
                {
                    yield return problem;
                }
            }
        }
    }

    private static IEnumerable<string> Check(string limitType, JsonObject item, Dictionary<string, decimal> requests, Dictionary<string, decimal> limits)
    {
        foreach (var (name, enforced) in ResourceAmounts.Parse(item["min"]).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var bound = QuantityText.Format(name, enforced);
            if (!requests.TryGetValue(name, out var request))
            {
                yield return $"minimum {name} usage per {limitType} is {bound}.  No request is specified";
            }
            else if (request < enforced)
            {
                yield return $"minimum {name} usage per {limitType} is {bound}, but request is {QuantityText.Format(name, request)}";
            }
            else if (limits.TryGetValue(name, out var limit) && limit < enforced)
            {
                yield return $"minimum {name} usage per {limitType} is {bound}, but limit is {QuantityText.Format(name, limit)}";
            }
        }

        foreach (var (name, enforced) in ResourceAmounts.Parse(item["max"]).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var bound = QuantityText.Format(name, enforced);
            if (!limits.TryGetValue(name, out var limit))
            {
                yield return $"maximum {name} usage per {limitType} is {bound}.  No limit is specified";
            }
            else if (limit > enforced)
            {
                yield return $"maximum {name} usage per {limitType} is {bound}, but limit is {QuantityText.Format(name, limit)}";
            }
            else if (requests.TryGetValue(name, out var request) && request > enforced)
            {
                yield return $"maximum {name} usage per {limitType} is {bound}, but request is {QuantityText.Format(name, request)}";
            }
        }

        foreach (var (name, enforced) in ResourceAmounts.Parse(item["maxLimitRequestRatio"]).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var bound = QuantityText.Format(name, enforced);
            if (!requests.TryGetValue(name, out var request) || request == 0m)
            {
                yield return $"{name} max limit to request ratio per {limitType} is {bound}, but no request is specified or request is 0";
            }
            else if (!limits.TryGetValue(name, out var limit) || limit == 0m)
            {
                yield return $"{name} max limit to request ratio per {limitType} is {bound}, but no limit is specified or limit is 0";
            }
            else if (limit / request > enforced)
            {
                var observed = (double)limit / (double)request;
                yield return $"{name} max limit to request ratio per {limitType} is {bound}, but provided ratio is {observed.ToString("F6", CultureInfo.InvariantCulture)}";
            }
        }
    }

    private static void Merge(
        JsonObject container,
        Dictionary<string, JsonNode?> defaultLimits,
        Dictionary<string, JsonNode?> defaultRequests,
        string prefix,
        List<string> notes)
    {
        var resources = AdmissionJson.Child(container, "resources");
        var limits = AdmissionJson.Child(resources, "limits");
        var requests = AdmissionJson.Child(resources, "requests");
        foreach (var (name, value) in limits)
        {
            if (!requests.ContainsKey(name))
            {
                requests[name] = value?.DeepClone();
            }
        }

        var setLimits = defaultLimits.Where(d => !limits.ContainsKey(d.Key)).Select(d => d.Key).Order(StringComparer.Ordinal).ToList();
        var setRequests = defaultRequests.Where(d => !requests.ContainsKey(d.Key)).Select(d => d.Key).Order(StringComparer.Ordinal).ToList();
        foreach (var name in setLimits)
        {
            limits[name] = defaultLimits[name]?.DeepClone();
        }

        foreach (var name in setRequests)
        {
            requests[name] = defaultRequests[name]?.DeepClone();
        }

        var containerName = AdmissionJson.Str(container["name"]) ?? "";
        if (setRequests.Count > 0)
        {
            notes.Add($"{string.Join(", ", setRequests)} request for {prefix} {containerName}");
        }

        if (setLimits.Count > 0)
        {
            notes.Add($"{string.Join(", ", setLimits)} limit for {prefix} {containerName}");
        }

        // Leave no empty lists behind on containers that had none.
        if (limits.Count == 0)
        {
            resources.Remove("limits");
        }

        if (requests.Count == 0)
        {
            resources.Remove("requests");
        }
    }

    private static IEnumerable<JsonObject> Items(JsonObject limitRange) =>
        (AdmissionJson.At(limitRange, "spec", "limits") as JsonArray)?.OfType<JsonObject>() ?? [];

    private static Dictionary<string, JsonNode?> Copy(JsonNode? list) =>
        (list as JsonObject)?.ToDictionary(p => p.Key, p => p.Value?.DeepClone(), StringComparer.Ordinal)
        ?? new Dictionary<string, JsonNode?>(StringComparer.Ordinal);

    private static void SetList(JsonObject item, string field, Dictionary<string, JsonNode?> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        var list = new JsonObject();
        foreach (var (name, value) in values)
        {
            // One default can fill two lists (a default limit becomes the default request): each gets its own node.
            list[name] = value?.DeepClone();
        }

        item[field] = list;
    }
}
