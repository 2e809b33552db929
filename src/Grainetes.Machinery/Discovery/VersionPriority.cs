using System.Globalization;
using System.Text.RegularExpressions;

namespace Grainetes.Machinery.Discovery;

/// <summary>
/// Kubernetes' API version ordering: GA before beta before alpha, higher numbers first, anything
/// not shaped like a Kubernetes version last in plain order. The first version is the preferred one.
/// </summary>
internal sealed partial class VersionPriority : IComparer<string>
{
    public static VersionPriority Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        var a = Parse(x ?? "");
        var b = Parse(y ?? "");
        if (a is null || b is null)
        {
            if (a is not null) return -1;
            if (b is not null) return 1;
            return string.CompareOrdinal(x, y);
        }

        if (a.Value.Stability != b.Value.Stability) return b.Value.Stability.CompareTo(a.Value.Stability);
        if (a.Value.Major != b.Value.Major) return b.Value.Major.CompareTo(a.Value.Major);
        return b.Value.Minor.CompareTo(a.Value.Minor);
    }

    private static (int Stability, int Major, int Minor)? Parse(string version)
    {
        var m = Shape().Match(version);
        if (!m.Success) return null;
        var major = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var stability = m.Groups[2].Value switch { "" => 2, "beta" => 1, _ => 0 };
        var minor = m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
        return (stability, major, minor);
    }

    [GeneratedRegex("^v([0-9]+)(?:(alpha|beta)([0-9]+))?$")]
    private static partial Regex Shape();
}
