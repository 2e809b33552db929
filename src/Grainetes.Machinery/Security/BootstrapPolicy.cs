using System.Text.Json.Nodes;

namespace Grainetes.Machinery.Security;

/// <summary>
/// The ClusterRoles and ClusterRoleBindings a Kubernetes API server creates on first start
/// (<c>cluster-admin</c>, <c>admin</c>, <c>edit</c>, <c>view</c> and the discovery roles), with the rules of
/// the resources this server serves. <c>admin</c>, <c>edit</c> and <c>view</c> also aggregate any ClusterRole
/// labelled <c>rbac.authorization.k8s.io/aggregate-to-…</c>, as in Kubernetes.
/// </summary>
public static class BootstrapPolicy
{
    /// <summary>The group of every host's node certificate (<c>system:node:&lt;name&gt;</c>), as Kubernetes groups its kubelets.</summary>
    public const string NodesGroup = "system:nodes";

    /// <summary>Lets the hosts' node certificates impersonate, which relaying a stream to another node needs.</summary>
    public const string NodeStreamRelayRole = "system:grainetes:node-stream-relay";

    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] Write = ["create", "delete", "deletecollection", "patch", "update"];

    public static IReadOnlyList<JsonObject> ClusterRoles() =>
    [
        ClusterRole("cluster-admin", null,
            PolicyRule.ForResources(["*"], ["*"], ["*"]),
            PolicyRule.ForPaths(["*"], ["*"])),
        ClusterRole("admin", "admin", AdminRules()),
        ClusterRole("edit", "edit", EditRules()),
        ClusterRole("view", "view", ViewRules()),
        ClusterRole("system:discovery", null,
            PolicyRule.ForPaths(["get"], ["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/version", "/version/"])),
        ClusterRole("system:public-info-viewer", null,
            PolicyRule.ForPaths(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"])),
        ClusterRole("system:basic-user", null,
            PolicyRule.ForResources(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            PolicyRule.ForResources(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"])),
        // A host relaying a pod's streams to another node's API endpoint speaks for the original caller, as
        // kube-apiserver's own client does; the far side then authorizes that caller, not the relay.
        ClusterRole(NodeStreamRelayRole, null,
            PolicyRule.ForResources(["impersonate"], [""], ["users", "groups", "serviceaccounts"])),
    ];

    public static IReadOnlyList<JsonObject> ClusterRoleBindings() =>
    [
        ClusterRoleBinding("cluster-admin", "cluster-admin", UserInfo.Masters),
        ClusterRoleBinding("system:discovery", "system:discovery", UserInfo.AllAuthenticated),
        ClusterRoleBinding("system:basic-user", "system:basic-user", UserInfo.AllAuthenticated),
        ClusterRoleBinding("system:public-info-viewer", "system:public-info-viewer", UserInfo.AllAuthenticated, UserInfo.AllUnauthenticated),
        ClusterRoleBinding(NodeStreamRelayRole, NodeStreamRelayRole, NodesGroup),
    ];

    private static PolicyRule[] ViewRules() =>
    [
        PolicyRule.ForResources(Read, [""], [
            "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "pods/log", "pods/status",
            "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status", "serviceaccounts", "services",
            "services/status", "bindings", "events", "limitranges", "resourcequotas", "resourcequotas/status", "namespaces", "namespaces/status"]),
        PolicyRule.ForResources(Read, ["apps"], [
            "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
            "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"]),
        PolicyRule.ForResources(Read, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
        PolicyRule.ForResources(Read, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
        PolicyRule.ForResources(Read, ["discovery.k8s.io"], ["endpointslices"]),
        PolicyRule.ForResources(Read, ["coordination.k8s.io"], ["leases"]),
        PolicyRule.ForResources(Read, ["metrics.k8s.io"], ["pods"]),
    ];

    private static PolicyRule[] EditRules() =>
    [
        .. ViewRules(),
        PolicyRule.ForResources([.. Write], [""], [
            "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "configmaps", "endpoints", "persistentvolumeclaims",
            "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"]),
        PolicyRule.ForResources(Read, [""], ["secrets", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "services/proxy"]),
        PolicyRule.ForResources(["create"], [""], ["serviceaccounts/token"]),
        PolicyRule.ForResources(["impersonate"], [""], ["serviceaccounts"]),
        PolicyRule.ForResources([.. Write], ["apps"], [
            "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale",
            "statefulsets", "statefulsets/scale"]),
        PolicyRule.ForResources([.. Write], ["autoscaling"], ["horizontalpodautoscalers"]),
        PolicyRule.ForResources([.. Write], ["batch"], ["cronjobs", "jobs"]),
        PolicyRule.ForResources([.. Write], ["discovery.k8s.io"], ["endpointslices"]),
        PolicyRule.ForResources([.. Write], ["coordination.k8s.io"], ["leases"]),
    ];

    private static PolicyRule[] AdminRules() =>
    [
        .. EditRules(),
        PolicyRule.ForResources([.. Read, .. Write], ["rbac.authorization.k8s.io"], ["roles", "rolebindings"]),
        PolicyRule.ForResources(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
    ];

    private static JsonObject ClusterRole(string name, string? aggregatesFrom, params PolicyRule[] rules)
    {
        var role = new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = Metadata(name),
            ["rules"] = new JsonArray(rules.Select(r => (JsonNode?)r.ToJson()).ToArray()),
        };
        if (aggregatesFrom is not null)
        {
            role["aggregationRule"] = new JsonObject
            {
                ["clusterRoleSelectors"] = new JsonArray(new JsonObject
                {
                    ["matchLabels"] = new JsonObject { ["rbac.authorization.k8s.io/aggregate-to-" + aggregatesFrom] = "true" },
                }),
            };
        }

        return role;
    }

    private static JsonObject ClusterRoleBinding(string name, string role, params string[] groups) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = Metadata(name),
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = role },
        ["subjects"] = new JsonArray(groups.Select(g => (JsonNode?)new JsonObject
        {
            ["apiGroup"] = "rbac.authorization.k8s.io",
            ["kind"] = "Group",
            ["name"] = g,
        }).ToArray()),
    };

    private static JsonObject Metadata(string name) => new()
    {
        ["name"] = name,
        ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
        ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
    };
}
