using System.Text.Json.Nodes;
using Grainetes.Machinery.Selectors;

namespace Grainetes.Machinery.Security;

/// <summary>
/// An immutable snapshot of every Role, ClusterRole, RoleBinding and ClusterRoleBinding, and Kubernetes'
/// RBAC authorizer over it: a request is allowed when some binding that applies to the user grants a
/// rule that allows it. RBAC only ever allows; anything not granted is denied.
/// </summary>
public sealed class RbacPolicy
{
    private readonly Dictionary<(string Namespace, string Name), IReadOnlyList<PolicyRule>> roles;
    private readonly Dictionary<string, IReadOnlyList<PolicyRule>> clusterRoles;
    private readonly IReadOnlyList<RoleBinding> clusterRoleBindings;
    private readonly ILookup<string, RoleBinding> roleBindingsByNamespace;

    public RbacPolicy(
        IEnumerable<JsonObject> roles, IEnumerable<JsonObject> clusterRoles,
        IEnumerable<JsonObject> roleBindings, IEnumerable<JsonObject> clusterRoleBindings)
    {
        this.roles = roles.ToDictionary(r => (NamespaceOf(r), NameOf(r)), RulesOf);
        this.clusterRoles = Aggregate(clusterRoles.ToList());
        this.clusterRoleBindings = clusterRoleBindings.Select(RoleBinding.FromJson).ToList();
        roleBindingsByNamespace = roleBindings.Select(RoleBinding.FromJson).ToLookup(b => b.Namespace, StringComparer.Ordinal);
    }

    public static RbacPolicy Empty { get; } = new([], [], [], []);

    public AuthorizationDecision Authorize(RequestAttributes request)
    {
        foreach (var binding in clusterRoleBindings)
        {
            if (Grants(binding, request))
            {
                return new AuthorizationDecision(true, $"RBAC: allowed by ClusterRoleBinding \"{binding.Name}\" of ClusterRole \"{binding.RoleName}\" to {request.User.Name}");
            }
        }

        if (request.IsResourceRequest && request.Namespace.Length > 0)
        {
            foreach (var binding in roleBindingsByNamespace[request.Namespace])
            {
                if (Grants(binding, request))
                {
                    return new AuthorizationDecision(true, $"RBAC: allowed by RoleBinding \"{binding.Name}/{binding.Namespace}\" of {binding.RoleKind} \"{binding.RoleName}\" to {request.User.Name}");
                }
            }
        }

        return AuthorizationDecision.Deny;
    }

    /// <summary>Every rule that applies to the user in a namespace (Kubernetes' <c>RulesFor</c>, for <c>SelfSubjectRulesReview</c>).</summary>
    public IReadOnlyList<PolicyRule> RulesFor(UserInfo user, string @namespace)
    {
        var rules = new List<PolicyRule>();
        foreach (var binding in clusterRoleBindings.Where(b => b.Subjects.Any(s => s.AppliesTo(user, b.Namespace))))
        {
            rules.AddRange(RulesOf(binding));
        }

        if (@namespace.Length > 0)
        {
            foreach (var binding in roleBindingsByNamespace[@namespace].Where(b => b.Subjects.Any(s => s.AppliesTo(user, b.Namespace))))
            {
                rules.AddRange(RulesOf(binding));
            }
        }

        return rules;
    }

    private bool Grants(RoleBinding binding, RequestAttributes request) =>
        binding.Subjects.Any(s => s.AppliesTo(request.User, binding.Namespace))
        && RulesOf(binding).Any(rule => rule.Allows(request));

    private IReadOnlyList<PolicyRule> RulesOf(RoleBinding binding) => binding.RoleKind switch
    {
        "ClusterRole" => clusterRoles.GetValueOrDefault(binding.RoleName) ?? [],
        // A ClusterRoleBinding can only name a ClusterRole.
        "Role" when binding.Namespace.Length > 0 => roles.GetValueOrDefault((binding.Namespace, binding.RoleName)) ?? [],
        _ => [],
    };

    /// <summary>ClusterRoles with an <c>aggregationRule</c> get the rules of every ClusterRole its selectors match.</summary>
    private static Dictionary<string, IReadOnlyList<PolicyRule>> Aggregate(List<JsonObject> clusterRoles)
    {
        var result = clusterRoles.ToDictionary(NameOf, RulesOf, StringComparer.Ordinal);
        foreach (var role in clusterRoles)
        {
            if (role["aggregationRule"]?["clusterRoleSelectors"] is not JsonArray selectors)
            {
                continue;
            }

            var aggregated = new List<PolicyRule>(result[NameOf(role)]);
            foreach (var selector in selectors.Select(LabelSelector.FromJson))
            {
                foreach (var source in clusterRoles.Where(r => NameOf(r) != NameOf(role) && selector.Matches(r)))
                {
                    aggregated.AddRange(RulesOf(source));
                }
            }

            result[NameOf(role)] = aggregated;
        }

        return result;
    }

    private static IReadOnlyList<PolicyRule> RulesOf(JsonObject role) =>
        role["rules"] is JsonArray rules ? rules.Select(PolicyRule.FromJson).ToArray() : [];

    private static string NameOf(JsonObject obj) => obj["metadata"]?["name"]?.GetValue<string>() ?? "";

    private static string NamespaceOf(JsonObject obj) => obj["metadata"]?["namespace"]?.GetValue<string>() ?? "";
}
