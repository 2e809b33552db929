using System.Text.Json.Nodes;
using Grainetes.Machinery.Scheduling;

namespace Grainetes.Machinery.Admission;

/// <summary>
/// Kubernetes' <c>ResourceList</c> arithmetic (quota/v1's Add, Subtract, Mask, LessThanOrEqual) over exact
/// decimal values keyed by resource name (<c>pods</c>, <c>requests.cpu</c>, <c>count/configmaps</c>).
/// </summary>
public static class ResourceAmounts
{
    /// <summary>Reads a <c>ResourceList</c> object; entries that are not quantities are left out.</summary>
    public static Dictionary<string, decimal> Parse(JsonNode? list)
    {
        var result = new Dictionary<string, decimal>(StringComparer.Ordinal);
        if (list is not JsonObject obj)
        {
            return result;
        }

        foreach (var (name, value) in obj)
        {
            if (QuantityText.TryRead(value, out var amount))
            {
                result[name] = amount;
            }
        }

        return result;
    }

    public static Dictionary<string, decimal> Add(IReadOnlyDictionary<string, decimal> a, IReadOnlyDictionary<string, decimal> b)
    {
        var result = new Dictionary<string, decimal>(a, StringComparer.Ordinal);
        foreach (var (name, value) in b)
        {
            result[name] = result.GetValueOrDefault(name) + value;
        }

        return result;
    }

    public static Dictionary<string, decimal> Subtract(IReadOnlyDictionary<string, decimal> a, IReadOnlyDictionary<string, decimal> b)
    {
        var result = new Dictionary<string, decimal>(a, StringComparer.Ordinal);
        foreach (var (name, value) in b)
        {
            result[name] = result.GetValueOrDefault(name) - value;
        }

        return result;
    }

    /// <summary>Only the named resources; those <paramref name="list"/> lacks count as zero, as in <c>quota.Mask</c> of a hard list.</summary>
    public static Dictionary<string, decimal> Mask(IReadOnlyDictionary<string, decimal> list, IEnumerable<string> names) =>
        names.Distinct(StringComparer.Ordinal).ToDictionary(n => n, n => list.GetValueOrDefault(n), StringComparer.Ordinal);

    /// <summary>What Kubernetes' <c>prettyPrint</c> writes: <c>name=value</c> pairs sorted by name, comma-separated.</summary>
    public static string PrettyPrint(IReadOnlyDictionary<string, decimal> list) =>
        string.Join(",", list.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={QuantityText.Format(p.Key, p.Value)}"));

    /// <summary>A <c>ResourceList</c> object in canonical quantity text.</summary>
    public static JsonObject ToJson(IReadOnlyDictionary<string, decimal> list)
    {
        var obj = new JsonObject();
        foreach (var (name, value) in list.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            obj[name] = QuantityText.Format(name, value);
        }

        return obj;
    }

    public static bool IsZero(IReadOnlyDictionary<string, decimal> list) => list.Values.All(v => v == 0m);
}
