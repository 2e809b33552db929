using System.Globalization;

namespace Grainetes.NodeAgent.Kubelet;

/// <summary>Kubernetes resource quantities (<c>100m</c>, <c>0.5</c>, <c>128Mi</c>, <c>1e3</c>) as exact decimals.</summary>
internal static class Quantity
{
    private static readonly (string Suffix, decimal Factor)[] Suffixes =
    [
        ("Ki", 1024m), ("Mi", 1024m * 1024), ("Gi", 1024m * 1024 * 1024), ("Ti", 1024m * 1024 * 1024 * 1024),
        ("Pi", 1024m * 1024 * 1024 * 1024 * 1024), ("Ei", 1024m * 1024 * 1024 * 1024 * 1024 * 1024),
        ("n", 0.000000001m), ("u", 0.000001m), ("m", 0.001m), ("k", 1000m), ("M", 1000_000m), ("G", 1000_000_000m),
        ("T", 1000_000_000_000m), ("P", 1000_000_000_000_000m), ("E", 1000_000_000_000_000_000m),
    ];

    public static bool TryParse(string? text, out decimal value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        var factor = 1m;
        foreach (var (suffix, f) in Suffixes)
        {
            if (text.EndsWith(suffix, StringComparison.Ordinal) && text.Length > suffix.Length)
            {
                // "1E3" style exponents end in a digit, so a trailing E here is always the exa suffix.
                text = text[..^suffix.Length];
                factor = f;
                break;
            }
        }

        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return false;
        value = number * factor;
        return true;
    }

    /// <summary>CPU in millicores, rounded up as Kubernetes does (0 when absent or invalid).</summary>
    public static long Millicores(string? text) => TryParse(text, out var v) ? (long)decimal.Ceiling(v * 1000) : 0;

    /// <summary>Bytes, rounded up (0 when absent or invalid).</summary>
    public static long Bytes(string? text) => TryParse(text, out var v) ? (long)decimal.Ceiling(v) : 0;
}
