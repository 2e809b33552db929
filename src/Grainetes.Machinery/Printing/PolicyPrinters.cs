using System.Text.Json.Nodes;
using Grainetes.Machinery.Admission;
using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>Rows of the admission-limit kinds: ResourceQuotas (used/hard per resource) and LimitRanges.</summary>
internal static class PolicyPrinters
{
    public static KindPrinter ResourceQuota { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.AgeColumn,
            TableColumn.Text("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
            TableColumn.Text("Limit", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
        ],
        (quota, now) =>
        {
            var (request, limit) = QuotaColumns(quota);
            return [Str(quota, "metadata", "name"), Age(quota, now), request, limit];
        });

    public static KindPrinter LimitRange { get; } = new(
        [
            TableColumn.NameColumn,
            new TableColumn("Created At", "date", "", "CreationTimestamp is a timestamp representing the server time when this object was created."),
        ],
        (range, _) => [Str(range, "metadata", "name"), Str(range, "metadata", "creationTimestamp") ?? ""]);

    /// <summary><c>pods: 1/2, requests.cpu: 500m/1</c>: limits.* resources go to the second column, as kubectl shows them.</summary>
    private static (string Request, string Limit) QuotaColumns(JsonObject quota)
    {
        var used = ResourceAmounts.Parse(Node(quota, "status", "used"));
        var hard = ResourceAmounts.Parse(Node(quota, "status", "hard"));
        var request = new List<string>();
        var limit = new List<string>();
        var names = (Node(quota, "spec", "hard") as JsonObject)?.Select(p => p.Key).Order(StringComparer.Ordinal) ?? Enumerable.Empty<string>();
        foreach (var name in names)
        {
            var cell = $"{name}: {QuantityText.Format(name, used.GetValueOrDefault(name))}/{QuantityText.Format(name, hard.GetValueOrDefault(name))}";
            (name.StartsWith("limits.", StringComparison.Ordinal) ? limit : request).Add(cell);
        }

        return (string.Join(", ", request), string.Join(", ", limit));
    }
}
