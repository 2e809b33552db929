using System.Text;

namespace Grainetes.Host.Cli;

/// <summary>Left-aligned columns, as kubectl prints them.</summary>
public static class SummaryTable
{
    public static string Render(IReadOnlyList<string> headings, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { headings.ToArray() };
        all.AddRange(rows);
        var widths = Enumerable.Range(0, headings.Count).Select(i => all.Max(r => r[i].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in all)
        {
            text.AppendLine(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))));
        }

        return text.ToString().TrimEnd();
    }
}
