using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Security;

/// <summary>Who a binding names: a <c>User</c>, a <c>Group</c> or a <c>ServiceAccount</c>.</summary>
public sealed record Subject(string Kind, string Name, string? Namespace)
{
    public static Subject FromJson(JsonNode? subject) => new(
        subject?["kind"]?.GetValue<string>() ?? "",
        subject?["name"]?.GetValue<string>() ?? "",
        subject?["namespace"]?.GetValue<string>());

    /// <summary>Kubernetes' <c>appliesToUser</c>; <paramref name="bindingNamespace"/> is the default namespace of a service account subject.</summary>
    public bool AppliesTo(UserInfo user, string bindingNamespace) => Kind switch
    {
        "User" => Name == user.Name,
        "Group" => user.Groups.Contains(Name, StringComparer.Ordinal),
        "ServiceAccount" => user.Name == ServiceAccountUser.Name(Namespace ?? bindingNamespace, Name),
        _ => false,
    };
}
