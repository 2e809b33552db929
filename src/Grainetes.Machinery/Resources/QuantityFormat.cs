using System.Globalization;

namespace Grainetes.Machinery.Resources;

/// <summary>
/// Writes resource quantities in Kubernetes' canonical form, as <c>resource.Quantity.String()</c> does:
/// the largest suffix that keeps the number whole (<c>250m</c>, <c>2</c>, <c>1500m</c>, <c>3456Ki</c>).
/// </summary>
public static class QuantityFormat
{
    private static readonly string[] DecimalSuffixes = ["", "k", "M", "G", "T", "P", "E"];
    private static readonly string[] BinarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    /// <summary>A decimal-SI quantity given in billionths (cpu in nanocores): <c>12000000</c> is <c>12m</c>.</summary>
    public static string FromNano(long nanos)
    {
        if (nanos % 1_000_000_000 == 0) return Decimal(nanos / 1_000_000_000);
        if (nanos % 1_000_000 == 0) return Text(nanos / 1_000_000) + "m";
        if (nanos % 1_000 == 0) return Text(nanos / 1_000) + "u";
        return Text(nanos) + "n";
    }

    /// <summary>A decimal-SI quantity given in thousandths (<c>MilliValue</c>): <c>1500</c> is <c>1500m</c>, <c>2000</c> is <c>2</c>.</summary>
    public static string FromMilli(long milli) =>
        milli % 1_000 == 0 ? Decimal(milli / 1_000) : Text(milli) + "m";

    /// <summary>A binary-SI quantity (memory in bytes): <c>3538944</c> is <c>3456Ki</c>; below 1024 it is written decimally.</summary>
    public static string Bytes(long bytes)
    {
        if (bytes is > -1024 and < 1024) return Decimal(bytes);
        var exponent = 0;
        while (bytes % 1024 == 0 && exponent < BinarySuffixes.Length - 1)
        {
            bytes /= 1024;
            exponent++;
        }

        return Text(bytes) + BinarySuffixes[exponent];
    }

    private static string Decimal(long units)
    {
        var exponent = 0;
        while (units != 0 && units % 1000 == 0 && exponent < DecimalSuffixes.Length - 1)
        {
            units /= 1000;
            exponent++;
        }

        return Text(units) + DecimalSuffixes[exponent];
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
