using System.Globalization;
using System.Text.Json.Nodes;
using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>Rows of EndpointSlices, as kubectl shows them (<c>NAME ADDRESSTYPE PORTS ENDPOINTS AGE</c>).</summary>
internal static class EndpointSlicePrinter
{
    /// <summary>Ports and endpoints beyond this many are summarised as "+ N more...".</summary>
    private const int MaxShown = 3;

    public static KindPrinter Printer { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("AddressType", "addressType specifies the type of address carried by this EndpointSlice."),
            TableColumn.Text("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice."),
            TableColumn.Text("Endpoints", "endpoints is a list of unique endpoints in this slice."),
            TableColumn.AgeColumn,
        ],
        (slice, now) =>
        [
            Str(slice, "metadata", "name"),
            Str(slice, "addressType") ?? "",
            Summarise(Objects(slice, "ports").Select(p => Int(p, "port") is { } port ? port.ToString(CultureInfo.InvariantCulture) : "<unset>").ToList()),
            Summarise(Objects(slice, "endpoints").SelectMany(e => Strings(e, "addresses")).ToList()),
            Age(slice, now),
        ]);

    private static string Summarise(List<string> items)
    {
        if (items.Count == 0)
        {
            return "<unset>";
        }

        var shown = string.Join(",", items.Take(MaxShown));
        return items.Count > MaxShown ? string.Create(CultureInfo.InvariantCulture, $"{shown} + {items.Count - MaxShown} more...") : shown;
    }
}
