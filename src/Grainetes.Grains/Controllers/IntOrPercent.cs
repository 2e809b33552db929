using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grainetes.Machinery.Resources;

namespace Grainetes.Grains.Controllers;

/// <summary>Kubernetes' intstr.GetScaledValueFromIntOrPercent for maxSurge and maxUnavailable.</summary>
internal static class IntOrPercent
{
    public static int Scaled(JsonNode? value, int total, bool roundUp, int fallback)
    {
        if (value is null)
        {
            return fallback;
        }

        if (JsonNumbers.ToInt32(value) is { } number)
        {
            return number;
        }

        if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            var text = v.GetValue<string>();
            if (text.EndsWith('%') && int.TryParse(text[..^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var percent))
            {
                var scaled = total * percent / 100.0;
                return (int)(roundUp ? Math.Ceiling(scaled) : Math.Floor(scaled));
            }

            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var plain))
            {
                return plain;
            }
        }

        return fallback;
    }

    /// <summary>maxSurge (rounded up) and maxUnavailable (rounded down); both zero would never progress, so unavailable becomes 1.</summary>
    public static (int MaxSurge, int MaxUnavailable) Fenceposts(JsonObject deployment)
    {
        var strategy = deployment["spec"]?["strategy"];
        var replicas = ControllerJson.Int(deployment["spec"]?["replicas"], 1);
        if (ControllerJson.Str(strategy?["type"]) == "Recreate")
        {
            return (0, 0);
        }

        var rolling = strategy?["rollingUpdate"];
        var surge = Math.Max(0, Scaled(rolling?["maxSurge"], replicas, roundUp: true, Scaled(JsonValue.Create("25%"), replicas, true, 1)));
        var unavailable = Math.Max(0, Scaled(rolling?["maxUnavailable"], replicas, roundUp: false, Scaled(JsonValue.Create("25%"), replicas, false, 0)));
        if (surge == 0 && unavailable == 0)
        {
            unavailable = 1;
        }

        return (surge, Math.Min(unavailable, replicas));
    }
}
