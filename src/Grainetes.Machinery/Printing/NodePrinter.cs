using System.Text.Json.Nodes;
using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>The node row: readiness from the Ready condition, roles from <c>node-role.kubernetes.io/*</c> labels.</summary>
internal static class NodePrinter
{
    private const string RolePrefix = "node-role.kubernetes.io/";

    public static KindPrinter Printer { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("Status", "The status of the node"),
            TableColumn.Text("Roles", "The roles of the node"),
            TableColumn.AgeColumn,
            TableColumn.Text("Version", "Kubelet Version reported by the node."),
            TableColumn.Text("Internal-IP", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
            TableColumn.Text("External-IP", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
            TableColumn.Text("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
            TableColumn.Text("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
            TableColumn.Text("Container-Runtime", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1),
        ],
        Cells);

    private static JsonNode?[] Cells(JsonObject node, DateTimeOffset now)
    {
        var statuses = new List<string>();
        if (Objects(node, "status", "conditions").LastOrDefault(c => Str(c, "type") == "Ready") is { } ready)
        {
            statuses.Add(Str(ready, "status") == "True" ? "Ready" : "NotReady");
        }
        else
        {
            statuses.Add("Unknown");
        }

        if (Bool(node, "spec", "unschedulable")) statuses.Add("SchedulingDisabled");

        var roles = new SortedSet<string>(StringComparer.Ordinal);
        if (Node(node, "metadata", "labels") is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                if (key.StartsWith(RolePrefix, StringComparison.Ordinal) && key.Length > RolePrefix.Length)
                {
                    roles.Add(key[RolePrefix.Length..]);
                }
                else if (key == "kubernetes.io/role" && Str(value) is { Length: > 0 } role)
                {
                    roles.Add(role);
                }
            }
        }

        var info = Node(node, "status", "nodeInfo");
        return
        [
            Str(node, "metadata", "name"),
            string.Join(",", statuses),
            roles.Count == 0 ? "<none>" : string.Join(",", roles),
            Age(node, now),
            Str(info, "kubeletVersion") ?? "",
            Address(node, "InternalIP"),
            Address(node, "ExternalIP"),
            StrOr(info, "<unknown>", "osImage"),
            StrOr(info, "<unknown>", "kernelVersion"),
            StrOr(info, "<unknown>", "containerRuntimeVersion"),
        ];
    }

    private static string Address(JsonObject node, string type) =>
        Objects(node, "status", "addresses").FirstOrDefault(a => Str(a, "type") == type) is { } a
            ? StrOr(a, "<none>", "address")
            : "<none>";
}
