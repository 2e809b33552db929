using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>Rows of the small kinds: namespaces, config maps, secrets, service accounts and leases.</summary>
internal static class ConfigPrinters
{
    public static KindPrinter Namespace { get; } = new(
        [TableColumn.NameColumn, TableColumn.Text("Status", "The status of the namespace"), TableColumn.AgeColumn],
        (ns, now) => [Str(ns, "metadata", "name"), Str(ns, "status", "phase") ?? "", Age(ns, now)]);

    public static KindPrinter ConfigMap { get; } = new(
        [TableColumn.NameColumn, TableColumn.Integer("Data", "Data contains the configuration data."), TableColumn.AgeColumn],
        (cm, now) => [Str(cm, "metadata", "name"), (long)(Count(cm, "data") + Count(cm, "binaryData")), Age(cm, now)]);

    public static KindPrinter Secret { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("Type", "Used to facilitate programmatic handling of secret data."),
            TableColumn.Integer("Data", "Data contains the secret data."),
            TableColumn.AgeColumn,
        ],
        (s, now) => [Str(s, "metadata", "name"), Str(s, "type") ?? "", (long)Count(s, "data"), Age(s, now)]);

    public static KindPrinter ServiceAccount { get; } = new(
        [TableColumn.NameColumn, TableColumn.Integer("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), TableColumn.AgeColumn],
        (sa, now) => [Str(sa, "metadata", "name"), (long)Count(sa, "secrets"), Age(sa, now)]);

    public static KindPrinter Lease { get; } = new(
        [TableColumn.NameColumn, TableColumn.Text("Holder", "holderIdentity contains the identity of the holder of a current lease."), TableColumn.AgeColumn],
        (lease, now) => [Str(lease, "metadata", "name"), Str(lease, "spec", "holderIdentity") ?? "", Age(lease, now)]);

    /// <summary>What the API server shows for kinds without a printer of their own.</summary>
    public static KindPrinter Default { get; } = new(
        [TableColumn.NameColumn, TableColumn.AgeColumn],
        (item, now) => [Str(item, "metadata", "name"), Age(item, now)]);
}
