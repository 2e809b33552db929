using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Printing;

/// <summary>How one kind is shown by <c>kubectl get</c>: its columns and the cells of an item's row.</summary>
/// <param name="Cells">Cells for every column, wide ones included, in column order.</param>
/// <param name="Conditions">Row conditions (for example a finished pod's <c>Completed</c>); null when none.</param>
internal sealed record KindPrinter(
    IReadOnlyList<TableColumn> Columns,
    Func<JsonObject, DateTimeOffset, JsonNode?[]> Cells,
    Func<JsonObject, JsonArray?>? Conditions = null);
