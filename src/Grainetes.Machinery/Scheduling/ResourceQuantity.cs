using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Scheduling;

/// <summary>
/// Reads Kubernetes resource quantities (<c>100m</c>, <c>0.5</c>, <c>64Mi</c>, <c>1e3</c>, <c>1k</c>) as the
/// scheduler needs them: cpu in millicores and everything else in whole units, both rounded up as Kubernetes
/// rounds (<c>MilliValue</c> and <c>Value</c> take the ceiling). KubernetesClient's <c>ResourceQuantity</c>
/// parses through arbitrary-precision fractions per call; this stays on <see cref="decimal"/>, which is enough
/// for every quantity a node or pod can carry.
/// </summary>
public static class ResourceQuantity
{
    /// <summary>Parses a quantity into its exact value; false for text Kubernetes would reject.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out decimal value)
    {
        value = 0;
        text = text.Trim();
        if (text.IsEmpty)
        {
            return false;
        }

        // The number is the longest prefix of sign, digits and one dot; the rest is the suffix.
        var end = 0;
        if (text[0] is '+' or '-')
        {
            end = 1;
        }

        var digits = 0;
        var dot = false;
        while (end < text.Length && (char.IsAsciiDigit(text[end]) || (text[end] == '.' && !dot)))
        {
            dot |= text[end] == '.';
            digits += text[end] == '.' ? 0 : 1;
            end++;
        }

        if (digits == 0 || !decimal.TryParse(text[..end], NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var suffix = text[end..];
        decimal multiplier;
        if (suffix.Length > 1 && suffix[0] is 'e' or 'E')
        {
            if (!int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exponent) || exponent is < -28 or > 28)
            {
                return false;
            }

            multiplier = Pow10(exponent);
        }
        else if (!TryMultiplier(suffix, out multiplier))
        {
            return false;
        }

        try
        {
            value = number * multiplier;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    /// <summary>Millicores (or milli-units) rounded up, as Kubernetes' <c>MilliValue</c>; null when absent or malformed.</summary>
    public static long? ToMilli(JsonNode? node) => Read(node) is { } v ? Ceiling(v * 1000m) : null;

    /// <summary>Whole units (bytes, pods) rounded up, as Kubernetes' <c>Value</c>; null when absent or malformed.</summary>
    public static long? ToUnits(JsonNode? node) => Read(node) is { } v ? Ceiling(v) : null;

    private static decimal? Read(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        // Quantities are strings on the wire, but a hand-written manifest may give a bare number.
        var text = value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => value.ToJsonString(),
            _ => null,
        };
        return text is not null && TryParse(text, out var parsed) ? parsed : null;
    }

    private static long Ceiling(decimal value)
    {
        var ceiling = decimal.Ceiling(value);
        return ceiling >= long.MaxValue ? long.MaxValue : ceiling <= long.MinValue ? long.MinValue : (long)ceiling;
    }

    private static bool TryMultiplier(ReadOnlySpan<char> suffix, out decimal multiplier)
    {
        const decimal Ki = 1024m;
        multiplier = suffix switch
        {
            "" => 1m,
            "n" => 0.000000001m,
            "u" => 0.000001m,
            "m" => 0.001m,
            "k" => 1_000m,
            "M" => 1_000_000m,
            "G" => 1_000_000_000m,
            "T" => 1_000_000_000_000m,
            "P" => 1_000_000_000_000_000m,
            "E" => 1_000_000_000_000_000_000m,
            "Ki" => Ki,
            "Mi" => Ki * Ki,
            "Gi" => Ki * Ki * Ki,
            "Ti" => Ki * Ki * Ki * Ki,
            "Pi" => Ki * Ki * Ki * Ki * Ki,
            "Ei" => Ki * Ki * Ki * Ki * Ki * Ki,
            _ => 0m,
        };
        return multiplier != 0m;
    }

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < Math.Abs(exponent); i++)
        {
            result *= 10m;
        }

        return exponent < 0 ? 1m / result : result;
    }
}
