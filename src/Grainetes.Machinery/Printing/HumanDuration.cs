using System.Globalization;

namespace Grainetes.Machinery.Printing;

/// <summary>
/// Ages as kubectl users know them: the same rounding as Kubernetes' <c>duration.HumanDuration</c>,
/// so "3m20s" and "2d3h" read exactly as on a real cluster.
/// </summary>
public static class HumanDuration
{
    public const string Unknown = "<unknown>";

    public static string Format(TimeSpan d)
    {
        // Kubernetes truncates toward zero and tolerates up to a second of clock skew as "now".
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1) return "<invalid>";
        if (seconds < 0) return "0s";
        if (seconds < 60 * 2) return Invariant($"{seconds}s");

        var minutes = (long)d.TotalMinutes;
        if (minutes < 10)
        {
            var s = seconds % 60;
            return s == 0 ? Invariant($"{minutes}m") : Invariant($"{minutes}m{s}s");
        }

        if (minutes < 60 * 3) return Invariant($"{minutes}m");

        var hours = (long)d.TotalHours;
        if (hours < 8)
        {
            var m = minutes % 60;
            return m == 0 ? Invariant($"{hours}h") : Invariant($"{hours}h{m}m");
        }

        if (hours < 48) return Invariant($"{hours}h");
        if (hours < 24 * 8)
        {
            var h = hours % 24;
            return h == 0 ? Invariant($"{hours / 24}d") : Invariant($"{hours / 24}d{h}h");
        }

        if (hours < 24 * 365 * 2) return Invariant($"{hours / 24}d");
        if (hours < 24 * 365 * 8)
        {
            var dy = hours / 24 % 365;
            return dy == 0 ? Invariant($"{hours / 24 / 365}y") : Invariant($"{hours / 24 / 365}y{dy}d");
        }

        return Invariant($"{hours / 24 / 365}y");
    }

    /// <summary>Time since <paramref name="timestamp"/>, or <c>&lt;unknown&gt;</c> when there is none.</summary>
    public static string Since(DateTimeOffset? timestamp, DateTimeOffset now) =>
        timestamp is { } t ? Format(now - t) : Unknown;

    private static string Invariant(FormattableString value) => value.ToString(CultureInfo.InvariantCulture);
}
