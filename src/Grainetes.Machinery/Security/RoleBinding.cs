using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Security;

/// <summary>
/// A RoleBinding (with its namespace) or a ClusterRoleBinding (namespace empty), reduced to what
/// authorization reads.
/// </summary>
public sealed record RoleBinding(string Namespace, string Name, string RoleKind, string RoleName, IReadOnlyList<Subject> Subjects)
{
    public static RoleBinding FromJson(JsonObject binding)
    {
        var metadata = binding["metadata"];
        var roleRef = binding["roleRef"];
        return new RoleBinding(
            metadata?["namespace"]?.GetValue<string>() ?? "",
            metadata?["name"]?.GetValue<string>() ?? "",
            roleRef?["kind"]?.GetValue<string>() ?? "",
            roleRef?["name"]?.GetValue<string>() ?? "",
            binding["subjects"] is JsonArray subjects ? subjects.Select(Subject.FromJson).ToArray() : []);
    }
}
