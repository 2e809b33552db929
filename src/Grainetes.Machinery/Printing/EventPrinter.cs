using System.Text.Json.Nodes;
using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>The core/v1 event row, in Kubernetes' column order (wide columns interleaved).</summary>
internal static class EventPrinter
{
    public static KindPrinter Printer { get; } = new(
        [
            TableColumn.Text("Last Seen", "The time at which the most recent occurrence of this event was recorded."),
            TableColumn.Text("Type", "Type of this event (Normal, Warning), new types could be added in the future"),
            TableColumn.Text("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
            TableColumn.Text("Object", "The object that this event is about."),
            TableColumn.Text("Subobject", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.", 1),
            TableColumn.Text("Source", "The component reporting this event. Should be a short machine understandable string.", 1),
            TableColumn.Text("Message", "A human-readable description of the status of this operation."),
            TableColumn.Text("First Seen", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", 1),
            TableColumn.Integer("Count", "The number of times this event has occurred.", 1),
            new TableColumn("Name", "string", "name", "Name must be unique within a namespace.", 1),
        ],
        Cells);

    private static JsonNode?[] Cells(JsonObject ev, DateTimeOffset now)
    {
        var first = Time(ev, "firstTimestamp") ?? Time(ev, "eventTime");
        var firstSeen = HumanDuration.Since(first, now);
        var lastSeen = Time(ev, "lastTimestamp") is { } last ? HumanDuration.Since(last, now) : firstSeen;
        var count = Int(ev, "count") ?? 0;
        if (Node(ev, "series") is JsonObject series)
        {
            lastSeen = HumanDuration.Since(Time(series, "lastObservedTime"), now);
            count = Int(series, "count") ?? 0;
        }
        else if (count == 0)
        {
            count = 1;
        }

        var kind = (Str(ev, "involvedObject", "kind") ?? "").ToLowerInvariant();
        var name = Str(ev, "involvedObject", "name");
        var target = string.IsNullOrEmpty(name) ? kind : $"{kind}/{name}";

        var component = FirstNonEmpty(Str(ev, "source", "component"), Str(ev, "reportingComponent"));
        var instance = FirstNonEmpty(Str(ev, "source", "host"), Str(ev, "reportingInstance"));
        var source = component.Length == 0 ? "<unknown>" : instance.Length == 0 ? component : $"{component}, {instance}";

        return
        [
            lastSeen,
            Str(ev, "type") ?? "",
            Str(ev, "reason") ?? "",
            target,
            Str(ev, "involvedObject", "fieldPath") ?? "",
            source,
            (Str(ev, "message") ?? "").Trim(),
            firstSeen,
            count,
            Str(ev, "metadata", "name"),
        ];
    }

    private static string FirstNonEmpty(string? a, string? b) => !string.IsNullOrEmpty(a) ? a : b ?? "";
}
