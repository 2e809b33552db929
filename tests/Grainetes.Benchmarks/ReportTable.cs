using System.Globalization;
using System.Text;

namespace Grainetes.Benchmarks;

/// <summary>Plain-text table with aligned columns that is also a valid Markdown table, so it can be pasted into the docs.</summary>
public sealed class ReportTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public static string Ms(double value) => double.IsNaN(value) ? "-" : value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    public static string Rate(double value) => value.ToString("0", CultureInfo.InvariantCulture);

    public static string Ratio(double value) => value.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    public void Add(params string[] cells) => _rows.Add(cells);

    public override string ToString()
    {
        var widths = headers.Select((h, i) => _rows.Select(r => i < r.Length ? r[i].Length : 0).Prepend(h.Length).Max()).ToArray();
        var builder = new StringBuilder();
        void Line(IReadOnlyList<string> cells) =>
            builder.Append("| ").AppendJoin(" | ", widths.Select((w, i) => (i < cells.Count ? cells[i] : "").PadRight(w))).AppendLine(" |");
        Line(headers);
        builder.Append('|').AppendJoin('|', widths.Select(w => new string('-', w + 2))).AppendLine("|");
        foreach (var row in _rows)
        {
            Line(row);
        }

        return builder.ToString();
    }
}
