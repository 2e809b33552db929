using System.Globalization;
using System.Text.Json.Nodes;
using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>Rows of HorizontalPodAutoscalers (stored autoscaling/v2 form), after kubectl's printHorizontalPodAutoscaler.</summary>
internal static class AutoscalingPrinters
{
    private const int MaxMetricsShown = 2;

    public static KindPrinter HorizontalPodAutoscaler { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("Reference", "scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count."),
            TableColumn.Text("Targets", "metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used)."),
            TableColumn.Text("MinPods", "minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down."),
            TableColumn.Text("MaxPods", "maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up."),
            TableColumn.Text("Replicas", "currentReplicas is current number of replicas of pods managed by this autoscaler."),
            TableColumn.AgeColumn,
        ],
        (hpa, now) =>
        [
            Str(hpa, "metadata", "name"),
            $"{Str(hpa, "spec", "scaleTargetRef", "kind")}/{Str(hpa, "spec", "scaleTargetRef", "name")}",
            Targets(hpa),
            Int(hpa, "spec", "minReplicas") is { } min ? min.ToString(CultureInfo.InvariantCulture) : "<unset>",
            Int(hpa, "spec", "maxReplicas") ?? 0,
            Int(hpa, "status", "currentReplicas") ?? 0,
            Age(hpa, now),
        ]);

    /// <summary>kubectl's formatHPAMetrics: <c>cpu: 12%/50%</c> per metric, the first two and a count of the rest.</summary>
    private static string Targets(JsonObject hpa)
    {
        var specs = Objects(hpa, "spec", "metrics").ToList();
        if (specs.Count == 0)
        {
            return "<none>";
        }

        var statuses = Objects(hpa, "status", "currentMetrics").ToList();
        var shown = new List<string>();
        for (var i = 0; i < specs.Count; i++)
        {
            var status = i < statuses.Count ? statuses[i] : null;
            shown.Add(Metric(specs[i], status));
        }

        var text = string.Join(", ", shown.Take(MaxMetricsShown));
        return shown.Count > MaxMetricsShown ? string.Create(CultureInfo.InvariantCulture, $"{text} + {shown.Count - MaxMetricsShown} more...") : text;
    }

    private static string Metric(JsonObject spec, JsonObject? status)
    {
        switch (Str(spec, "type"))
        {
            case "Resource":
            case "ContainerResource":
                var field = Str(spec, "type") == "Resource" ? "resource" : "containerResource";
                var name = Str(spec, field, "name") ?? "";
                var prefix = field == "resource" ? name : $"{name} of container \"{Str(spec, field, "container")}\"";
                if (Node(spec, field, "target", "averageValue") is { } averageValue)
                {
                    var currentValue = QuantityText(Node(status, field, "current", "averageValue")) ?? "<unknown>";
                    return $"{prefix}: {currentValue}/{QuantityText(averageValue)}";
                }

                var current = Int(status, field, "current", "averageUtilization") is { } u ? Percent(u) : "<unknown>";
                var target = Int(spec, field, "target", "averageUtilization") is { } t ? Percent(t) : "<auto>";
                return $"{prefix}: {current}/{target}";
            case "Pods":
                return $"{QuantityText(Node(status, "pods", "current", "averageValue")) ?? "<unknown>"}/{QuantityText(Node(spec, "pods", "target", "averageValue"))}";
            case "Object":
            case "External":
                var kind = Str(spec, "type") == "Object" ? "object" : "external";
                var isAverage = Node(spec, kind, "target", "averageValue") is not null;
                var key = isAverage ? "averageValue" : "value";
                var now = QuantityText(Node(status, kind, "current", key)) ?? "<unknown>";
                return $"{now}/{QuantityText(Node(spec, kind, "target", key))}{(isAverage ? " (avg)" : "")}";
            default:
                return "<unknown type>";
        }
    }

    private static string Percent(long value) => string.Create(CultureInfo.InvariantCulture, $"{value}%");

    private static string? QuantityText(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };
}
