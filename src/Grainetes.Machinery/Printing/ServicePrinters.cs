using System.Globalization;
using System.Text.Json.Nodes;
using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>Rows of services and endpoints.</summary>
internal static class ServicePrinters
{
    /// <summary>Endpoints beyond this many are summarised as "+ N more...".</summary>
    private const int MaxEndpoints = 3;

    public static KindPrinter Service { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("Type", "type determines how the Service is exposed."),
            TableColumn.Text("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
            TableColumn.Text("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            TableColumn.Text("Port(s)", "The list of ports that are exposed by this service."),
            TableColumn.AgeColumn,
            TableColumn.Text("Selector", "Route service traffic to pods with label keys and values matching this selector.", 1),
        ],
        (svc, now) =>
        {
            var spec = Node(svc, "spec");
            var clusterIp = Strings(spec, "clusterIPs").FirstOrDefault() ?? Str(spec, "clusterIP");
            var ports = string.Join(",", Objects(spec, "ports").Select(p =>
            {
                var port = Int(p, "port") ?? 0;
                var protocol = StrOr(p, "TCP", "protocol");
                var nodePort = Int(p, "nodePort") ?? 0;
                return nodePort > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{port}:{nodePort}/{protocol}")
                    : string.Create(CultureInfo.InvariantCulture, $"{port}/{protocol}");
            }));
            return
            [
                Str(svc, "metadata", "name"),
                StrOr(spec, "ClusterIP", "type"),
                string.IsNullOrEmpty(clusterIp) ? "<none>" : clusterIp,
                ExternalIp(svc),
                ports.Length == 0 ? "<none>" : ports,
                Age(svc, now),
                LabelFormat.Map(Node(spec, "selector")),
            ];
        });

    public static KindPrinter Endpoints { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("Endpoints", "The set of all endpoints is the union of all subsets."),
            TableColumn.AgeColumn,
        ],
        (ep, now) => [Str(ep, "metadata", "name"), FormatEndpoints(ep), Age(ep, now)]);

    private static string ExternalIp(JsonObject svc)
    {
        var externalIps = Strings(svc, "spec", "externalIPs").ToList();
        switch (StrOr(svc, "ClusterIP", "spec", "type"))
        {
            case "ClusterIP":
            case "NodePort":
                return externalIps.Count > 0 ? string.Join(",", externalIps) : "<none>";
            case "LoadBalancer":
                var ingress = Objects(svc, "status", "loadBalancer", "ingress")
                    .Select(i => Str(i, "ip") is { Length: > 0 } ip ? ip : Str(i, "hostname"))
                    .Where(s => !string.IsNullOrEmpty(s))
                    .Cast<string>()
                    .ToList();
                var all = ingress.Concat(externalIps).ToList();
                return all.Count > 0 ? string.Join(",", all) : "<pending>";
            case "ExternalName":
                return Str(svc, "spec", "externalName") ?? "";
            default:
                return "<unknown>";
        }
    }

    private static string FormatEndpoints(JsonObject endpoints)
    {
        var subsets = Objects(endpoints, "subsets").ToList();
        if (subsets.Count == 0) return "<none>";
        var list = new List<string>();
        var count = 0;
        var more = false;
        foreach (var subset in subsets)
        {
            var addresses = Objects(subset, "addresses").Select(a => Str(a, "ip") ?? "").ToList();
            var ports = Objects(subset, "ports").ToList();
            if (ports.Count == 0)
            {
                // Headless services may have addresses but no ports.
                count += addresses.Count;
                foreach (var ip in addresses)
                {
                    if (list.Count == MaxEndpoints)
                    {
                        more = true;
                        break;
                    }

                    list.Add(ip);
                }

                continue;
            }

            foreach (var port in ports)
            {
                count += addresses.Count;
                foreach (var ip in addresses)
                {
                    if (list.Count == MaxEndpoints)
                    {
                        more = true;
                        break;
                    }

                    var portText = (Int(port, "port") ?? 0).ToString(CultureInfo.InvariantCulture);
                    list.Add(ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]:{portText}" : $"{ip}:{portText}");
                }
            }
        }

        var text = string.Join(",", list);
        return more ? string.Create(CultureInfo.InvariantCulture, $"{text} + {count - MaxEndpoints} more...") : text;
    }
}
