using System.Text.Json.Nodes;
using Grainetes.Machinery.Security;

namespace Grainetes.Machinery.Tests.Security;

public sealed class RbacPolicyTests
{
    private static readonly UserInfo Jane = UserInfo.Authenticated("jane", null, ["devs"]);

    private static RbacPolicy PolicyWith(IEnumerable<JsonObject>? roles = null, IEnumerable<JsonObject>? bindings = null, IEnumerable<JsonObject>? clusterBindings = null, IEnumerable<JsonObject>? extraClusterRoles = null) =>
        new(roles ?? [], BootstrapPolicy.ClusterRoles().Concat(extraClusterRoles ?? []), bindings ?? [], BootstrapPolicy.ClusterRoleBindings().Concat(clusterBindings ?? []));

    private static JsonObject Binding(string ns, string name, string roleKind, string role, string subjectKind, string subject, string? subjectNs = null)
    {
        var s = new JsonObject { ["kind"] = subjectKind, ["name"] = subject };
        if (subjectNs is not null) s["namespace"] = subjectNs;
        return new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            ["roleRef"] = new JsonObject { ["kind"] = roleKind, ["name"] = role },
            ["subjects"] = new JsonArray(s),
        };
    }

    private static RequestAttributes Ask(UserInfo user, string verb, string resource, string ns = "", string group = "", string sub = "", string name = "") =>
        new() { User = user, Verb = verb, Resource = resource, Namespace = ns, ApiGroup = group, Subresource = sub, Name = name };

    [Fact]
    public void ViewInOneNamespaceReadsButNeverWritesNorSecretsNorOtherNamespaces()
    {
        var policy = PolicyWith(bindings: [Binding("team", "jane-view", "ClusterRole", "view", "User", "jane")]);

        Assert.True(policy.Authorize(Ask(Jane, "list", "pods", "team")).Allowed);
        Assert.True(policy.Authorize(Ask(Jane, "get", "deployments", "team", "apps")).Allowed);
        Assert.True(policy.Authorize(Ask(Jane, "get", "pods", "team", sub: "log", name: "web")).Allowed);
        Assert.False(policy.Authorize(Ask(Jane, "list", "secrets", "team")).Allowed);
        Assert.False(policy.Authorize(Ask(Jane, "create", "configmaps", "team")).Allowed);
        Assert.False(policy.Authorize(Ask(Jane, "delete", "pods", "team", name: "web")).Allowed);
        Assert.False(policy.Authorize(Ask(Jane, "create", "pods", "team", sub: "exec", name: "web")).Allowed);
        Assert.False(policy.Authorize(Ask(Jane, "list", "pods", "other")).Allowed);
        Assert.False(policy.Authorize(Ask(Jane, "list", "pods")).Allowed);
    }

    [Fact]
    public void EditWritesAndReadsSecretsButAdminAloneManagesRoles()
    {
        var edit = PolicyWith(bindings: [Binding("team", "b", "ClusterRole", "edit", "Group", "devs")]);
        Assert.True(edit.Authorize(Ask(Jane, "create", "deployments", "team", "apps")).Allowed);
        Assert.True(edit.Authorize(Ask(Jane, "get", "secrets", "team", name: "s")).Allowed);
        Assert.True(edit.Authorize(Ask(Jane, "create", "pods", "team", sub: "exec", name: "web")).Allowed);
        Assert.False(edit.Authorize(Ask(Jane, "create", "rolebindings", "team", "rbac.authorization.k8s.io")).Allowed);

        var admin = PolicyWith(bindings: [Binding("team", "b", "ClusterRole", "admin", "Group", "devs")]);
        Assert.True(admin.Authorize(Ask(Jane, "create", "rolebindings", "team", "rbac.authorization.k8s.io")).Allowed);
        Assert.False(admin.Authorize(Ask(Jane, "create", "clusterrolebindings", "", "rbac.authorization.k8s.io")).Allowed);
    }

    [Fact]
    public void ResourceNamesSubresourcesAndWildcardsMatchAsKubernetesReadsThem()
    {
        var role = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "one-cm", ["namespace"] = "team" },
            ["rules"] = new JsonArray(
                PolicyRule.ForResources(["get", "update"], [""], ["configmaps"], ["settings"]).ToJson(),
                PolicyRule.ForResources(["get"], ["apps"], ["*/scale"]).ToJson()),
        };
        var policy = PolicyWith(roles: [role], bindings: [Binding("team", "b", "Role", "one-cm", "User", "jane")]);

        Assert.True(policy.Authorize(Ask(Jane, "get", "configmaps", "team", name: "settings")).Allowed);
        Assert.False(policy.Authorize(Ask(Jane, "get", "configmaps", "team", name: "other")).Allowed);
        Assert.False(policy.Authorize(Ask(Jane, "list", "configmaps", "team")).Allowed);
        Assert.True(policy.Authorize(Ask(Jane, "get", "deployments", "team", "apps", "scale", "web")).Allowed);
        Assert.False(policy.Authorize(Ask(Jane, "get", "deployments", "team", "apps", name: "web")).Allowed);
    }

    [Fact]
    public void ARoleBindingNamingARoleOfAnotherNamespaceGrantsNothing()
    {
        var role = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "reader", ["namespace"] = "a" },
            ["rules"] = new JsonArray(PolicyRule.ForResources(["get"], [""], ["pods"]).ToJson()),
        };
        var policy = PolicyWith(roles: [role], bindings: [Binding("b", "x", "Role", "reader", "User", "jane")]);
        Assert.False(policy.Authorize(Ask(Jane, "get", "pods", "b", name: "p")).Allowed);
        Assert.False(policy.Authorize(Ask(Jane, "get", "pods", "a", name: "p")).Allowed);
    }

    [Fact]
    public void ServiceAccountSubjectsDefaultToTheBindingsNamespace()
    {
        var robot = UserInfo.Authenticated(ServiceAccountUser.Name("team", "robot"), "u1", ServiceAccountUser.Groups("team"));
        var policy = PolicyWith(bindings: [Binding("team", "b", "ClusterRole", "view", "ServiceAccount", "robot")]);
        Assert.True(policy.Authorize(Ask(robot, "list", "pods", "team")).Allowed);

        var other = UserInfo.Authenticated(ServiceAccountUser.Name("other", "robot"), "u2", ServiceAccountUser.Groups("other"));
        Assert.False(policy.Authorize(Ask(other, "list", "pods", "team")).Allowed);
    }

    [Fact]
    public void AggregatedRolesTakeTheRulesOfLabelledClusterRoles()
    {
        var extra = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "widgets-view",
                ["labels"] = new JsonObject { ["rbac.authorization.k8s.io/aggregate-to-view"] = "true" },
            },
            ["rules"] = new JsonArray(PolicyRule.ForResources(["get", "list"], ["example.com"], ["widgets"]).ToJson()),
        };
        var policy = PolicyWith(bindings: [Binding("team", "b", "ClusterRole", "view", "User", "jane")], extraClusterRoles: [extra]);
        Assert.True(policy.Authorize(Ask(Jane, "list", "widgets", "team", "example.com")).Allowed);
    }

    [Fact]
    public void DiscoveryAndHealthPathsFollowTheBootstrapBindings()
    {
        var policy = PolicyWith();
        var path = (UserInfo user, string p) => policy.Authorize(new RequestAttributes { User = user, Verb = "get", IsResourceRequest = false, Path = p }).Allowed;

        Assert.True(path(Jane, "/apis/apps/v1"));
        Assert.True(path(Jane, "/openapi/v3/apis/apps/v1"));
        Assert.True(path(UserInfo.Anonymous, "/healthz"));
        Assert.False(path(UserInfo.Anonymous, "/apis"));
        Assert.False(path(Jane, "/metrics"));
        Assert.True(policy.Authorize(Ask(Jane, "create", "selfsubjectaccessreviews", group: "authorization.k8s.io")).Allowed);
    }

    [Fact]
    public void ClusterAdminIsBoundToSystemMasters()
    {
        var root = UserInfo.Authenticated("root", null, [UserInfo.Masters]);
        var policy = PolicyWith();
        Assert.True(policy.Authorize(Ask(root, "delete", "nodes", name: "n1")).Allowed);
        Assert.True(policy.Authorize(new RequestAttributes { User = root, Verb = "get", IsResourceRequest = false, Path = "/metrics" }).Allowed);
        Assert.False(policy.Authorize(Ask(Jane, "delete", "nodes", name: "n1")).Allowed);
    }

    [Fact]
    public void RulesForListsWhatABindingGrantsInANamespace()
    {
        var policy = PolicyWith(bindings: [Binding("team", "b", "ClusterRole", "view", "User", "jane")]);
        Assert.Contains(policy.RulesFor(Jane, "team"), r => r.Resources.Contains("pods") && r.Verbs.Contains("list"));
        Assert.DoesNotContain(policy.RulesFor(Jane, "other"), r => r.Resources.Contains("pods"));
    }
}
