using System.Text.Json.Nodes;
using Grainetes.Machinery.Resources;
using Grainetes.Machinery.Scheduling;
using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>Rows of the Metrics API's NodeMetrics and PodMetrics, as metrics-server prints them (a pod's containers summed).</summary>
internal static class MetricsPrinters
{
    private static readonly TableColumn[] Columns =
    [
        TableColumn.NameColumn,
        new("cpu", "string", "quantity", "CPU usage."),
        new("memory", "string", "quantity", "Memory usage (working set)."),
        new("Window", "string", "duration", "The interval the usage was measured over."),
    ];

    public static KindPrinter NodeMetrics { get; } = new(
        Columns,
        (node, _) =>
        [
            Str(node, "metadata", "name"),
            Str(node, "usage", "cpu") ?? "0",
            Str(node, "usage", "memory") ?? "0",
            Str(node, "window") ?? "",
        ]);

    public static KindPrinter PodMetrics { get; } = new(
        Columns,
        (pod, _) =>
        [
            Str(pod, "metadata", "name"),
            QuantityFormat.FromMilli(Objects(pod, "containers").Sum(c => ResourceQuantity.ToMilli(Node(c, "usage", "cpu")) ?? 0)),
            QuantityFormat.Bytes(Objects(pod, "containers").Sum(c => ResourceQuantity.ToUnits(Node(c, "usage", "memory")) ?? 0)),
            Str(pod, "window") ?? "",
        ]);
}
