using System.Globalization;
using System.Text.Json.Nodes;
using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>Rows of deployments, replica sets and daemon sets.</summary>
internal static class AppsPrinters
{
    private static readonly TableColumn Containers = TableColumn.Text("Containers", "Names of each container in the template.", 1);
    private static readonly TableColumn Images = TableColumn.Text("Images", "Images referenced by each container in the template.", 1);
    private static readonly TableColumn Selector = TableColumn.Text("Selector", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.", 1);

    public static KindPrinter Deployment { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("Ready", "Number of the pod with ready state"),
            TableColumn.Integer("Up-to-date", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            TableColumn.Integer("Available", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            TableColumn.AgeColumn,
            Containers,
            Images,
            Selector,
        ],
        (d, now) =>
        {
            var desired = Int(d, "spec", "replicas") ?? 1;
            var ready = Int(d, "status", "readyReplicas") ?? 0;
            return
            [
                Str(d, "metadata", "name"),
                string.Create(CultureInfo.InvariantCulture, $"{ready}/{desired}"),
                Int(d, "status", "updatedReplicas") ?? 0,
                Int(d, "status", "availableReplicas") ?? 0,
                Age(d, now),
                .. TemplateCells(d),
            ];
        });

    public static KindPrinter ReplicaSet { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Integer("Desired", "Replicas is the number of desired pods."),
            TableColumn.Integer("Current", "Replicas is the most recently observed number of replicas."),
            TableColumn.Integer("Ready", "The number of ready replicas for this replica set."),
            TableColumn.AgeColumn,
            Containers,
            Images,
            Selector,
        ],
        (rs, now) =>
        [
            Str(rs, "metadata", "name"),
            Int(rs, "spec", "replicas") ?? 1,
            Int(rs, "status", "replicas") ?? 0,
            Int(rs, "status", "readyReplicas") ?? 0,
            Age(rs, now),
            .. TemplateCells(rs),
        ]);

    public static KindPrinter DaemonSet { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Integer("Desired", "The desired number of nodes that should be running the daemon pod."),
            TableColumn.Integer("Current", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod."),
            TableColumn.Integer("Ready", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready."),
            TableColumn.Integer("Up-to-date", "The total number of nodes that are running updated daemon pod"),
            TableColumn.Integer("Available", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
            TableColumn.Text("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node."),
            TableColumn.AgeColumn,
            Containers,
            Images,
            Selector,
        ],
        (ds, now) =>
        [
            Str(ds, "metadata", "name"),
            Int(ds, "status", "desiredNumberScheduled") ?? 0,
            Int(ds, "status", "currentNumberScheduled") ?? 0,
            Int(ds, "status", "numberReady") ?? 0,
            Int(ds, "status", "updatedNumberScheduled") ?? 0,
            Int(ds, "status", "numberAvailable") ?? 0,
            LabelFormat.Map(Node(ds, "spec", "template", "spec", "nodeSelector")),
            Age(ds, now),
            .. TemplateCells(ds),
        ]);

    /// <summary>Kubernetes' printControllerRevision: the controller shown as <c>kind.group/name</c>.</summary>
    public static KindPrinter ControllerRevision { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("Controller", "Controller of the object"),
            TableColumn.Text("Revision", "Revision indicates the revision of the state represented by Data."),
            TableColumn.AgeColumn,
        ],
        (cr, now) =>
        [
            Str(cr, "metadata", "name"),
            ControllerName(cr),
            Int(cr, "revision") ?? 0,
            Age(cr, now),
        ]);

    /// <summary>Containers, images and selector: the wide columns every pod-template workload shares.</summary>
    public static JsonNode?[] TemplateCells(JsonObject workload, params string[] templateAt)
    {
        var containers = Objects(workload, [.. templateAt, "spec", "template", "spec", "containers"]).ToList();
        return
        [
            string.Join(",", containers.Select(c => Str(c, "name") ?? "")),
            string.Join(",", containers.Select(c => Str(c, "image") ?? "")),
            LabelFormat.Selector(Node(workload, [.. templateAt, "spec", "selector"])),
        ];
    }

    private static string ControllerName(JsonObject obj)
    {
        var owner = Objects(obj, "metadata", "ownerReferences").FirstOrDefault(o => Bool(o, "controller"));
        if (owner is null)
        {
            return "<none>";
        }

        var apiVersion = Str(owner, "apiVersion") ?? "";
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? "" : apiVersion[..slash];
        var kind = (Str(owner, "kind") ?? "").ToLowerInvariant();
        return (group.Length == 0 ? kind : kind + "." + group) + "/" + Str(owner, "name");
    }
}
