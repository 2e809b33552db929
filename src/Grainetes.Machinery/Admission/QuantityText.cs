using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Scheduling;

namespace Grainetes.Machinery.Admission;

/// <summary>
/// Reads quantities exactly and writes them back the way <c>resource.Quantity.String()</c> would for the
/// resource they measure: memory and storage in binary suffixes when whole multiples of 1024
/// (<c>512Mi</c>), everything else in decimal ones (<c>500m</c>, <c>2</c>, <c>1G</c>).
/// </summary>
public static class QuantityText
{
    public static bool TryRead(JsonNode? node, out decimal value)
    {
        value = 0m;
        if (node is not JsonValue json)
        {
            return false;
        }

        var text = json.GetValueKind() switch
        {
            JsonValueKind.String => json.GetValue<string>(),
            JsonValueKind.Number => json.ToJsonString(),
            _ => null,
        };
        return text is not null && ResourceQuantity.TryParse(text, out value);
    }

    public static string Format(string resourceName, decimal value)
    {
        var whole = decimal.Truncate(value) == value;
        if (whole && value is >= long.MinValue and <= long.MaxValue && IsBytes(resourceName) && (long)value % 1024 == 0)
        {
            return QuantityFormat.Bytes((long)value);
        }

        var nanos = value * 1_000_000_000m;
        if (decimal.Truncate(nanos) == nanos && nanos is >= long.MinValue and <= long.MaxValue)
        {
            return QuantityFormat.FromNano((long)nanos);
        }

        var millis = value * 1_000m;
        if (whole && millis is >= long.MinValue and <= long.MaxValue)
        {
            return QuantityFormat.FromMilli((long)millis);
        }

        return value.ToString(CultureInfo.InvariantCulture);
    }

    private static bool IsBytes(string resourceName) =>
        resourceName.EndsWith("memory", StringComparison.Ordinal)
        || resourceName.EndsWith("storage", StringComparison.Ordinal)
        || resourceName.StartsWith("hugepages-", StringComparison.Ordinal);
}
