using System.Text.Json.Nodes;
using Grainetes.Machinery.Errors;
using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Printing;

/// <summary>
/// Builds the server-side <c>meta.k8s.io/v1 Table</c> that <c>kubectl get</c> requests with
/// <c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c>. Cells are always generated wide, as the
/// kube-apiserver does; kubectl hides priority 1 columns unless asked for <c>-o wide</c>.
/// </summary>
public sealed class TablePrinter
{
    public const string IncludeNone = "None";
    public const string IncludeMetadata = "Metadata";
    public const string IncludeObject = "Object";

    /// <summary>The column definitions Kubernetes shows for <paramref name="type"/>.</summary>
    public IReadOnlyList<TableColumn> ColumnsFor(ResourceType type) => KindPrinters.For(type).Columns;

    /// <param name="includeObject"><c>None</c>, <c>Metadata</c> (the default, also for null or empty) or <c>Object</c>.</param>
    /// <exception cref="ApiException">400 when <paramref name="includeObject"/> is none of those.</exception>
    public JsonObject ToTable(
        ResourceType type,
        IReadOnlyList<JsonObject> items,
        string? resourceVersion,
        string? continueToken,
        string? includeObject,
        DateTimeOffset now)
    {
        var include = string.IsNullOrEmpty(includeObject) ? IncludeMetadata : includeObject;
        if (include is not (IncludeNone or IncludeMetadata or IncludeObject))
        {
            throw ApiException.BadRequest($"includeObject must be one of None, Metadata or Object, not \"{includeObject}\"");
        }

        var printer = KindPrinters.For(type);
        var rows = new JsonArray();
        foreach (var item in items)
        {
            var row = new JsonObject { ["cells"] = new JsonArray(printer.Cells(item, now)) };
            if (printer.Conditions?.Invoke(item) is { } conditions) row["conditions"] = conditions;
            switch (include)
            {
                case IncludeMetadata:
                    row["object"] = new JsonObject
                    {
                        ["kind"] = "PartialObjectMetadata",
                        ["apiVersion"] = "meta.k8s.io/v1",
                        ["metadata"] = item["metadata"]?.DeepClone() ?? new JsonObject(),
                    };
                    break;
                case IncludeObject:
                    row["object"] = item.DeepClone();
                    break;
            }

            rows.Add(row);
        }

        var metadata = new JsonObject();
        if (!string.IsNullOrEmpty(resourceVersion)) metadata["resourceVersion"] = resourceVersion;
        if (!string.IsNullOrEmpty(continueToken)) metadata["continue"] = continueToken;

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = metadata,
            ["columnDefinitions"] = new JsonArray(printer.Columns.Select(c => (JsonNode?)c.ToJson()).ToArray()),
            ["rows"] = rows,
        };
    }
}
