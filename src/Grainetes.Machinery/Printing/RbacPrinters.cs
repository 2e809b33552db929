using System.Text.Json.Nodes;
using static Grainetes.Machinery.Printing.JsonRead;

namespace Grainetes.Machinery.Printing;

/// <summary>Rows of roles and role bindings, with kubectl's columns.</summary>
internal static class RbacPrinters
{
    public static KindPrinter Role { get; } = new(
        [TableColumn.NameColumn, TableColumn.Text("Created At", "CreationTimestamp is a timestamp representing the server time when this object was created.")],
        (role, _) => [Str(role, "metadata", "name"), Str(role, "metadata", "creationTimestamp") ?? ""]);

    public static KindPrinter Binding { get; } = new(
        [
            TableColumn.NameColumn,
            TableColumn.Text("Role", "RoleRef references a role."),
            TableColumn.AgeColumn,
            TableColumn.Text("Users", "Users in the binding", 1),
            TableColumn.Text("Groups", "Groups in the binding", 1),
            TableColumn.Text("ServiceAccounts", "ServiceAccounts in the binding", 1),
        ],
        (binding, now) =>
        [
            Str(binding, "metadata", "name"),
            $"{Str(binding, "roleRef", "kind")}/{Str(binding, "roleRef", "name")}",
            Age(binding, now),
            Subjects(binding, "User"),
            Subjects(binding, "Group"),
            Subjects(binding, "ServiceAccount"),
        ]);

    private static string Subjects(JsonObject binding, string kind) =>
        binding["subjects"] is JsonArray subjects
            ? string.Join(", ", subjects.OfType<JsonObject>()
                .Where(s => Str(s, "kind") == kind)
                .Select(s => kind == "ServiceAccount" ? $"{Str(s, "namespace")}/{Str(s, "name")}" : Str(s, "name")))
            : "";
}
