using k8s.Models;

namespace Grainetes.Machinery.Resources;

/// <summary>The resources this API server serves, looked up by URL parts or by kind.</summary>
public sealed class ResourceRegistry
{
    private readonly Dictionary<(string Group, string Version, string Plural), ResourceType> byPath = new();
    private readonly Dictionary<(string ApiVersion, string Kind), ResourceType> byKind = new();
    private readonly Dictionary<string, ResourceType> byStorageKey = new(StringComparer.Ordinal);

    public ResourceRegistry(IEnumerable<ResourceType> types)
    {
        All = types.ToList();
        foreach (var type in All)
        {
            byPath.Add((type.Group, type.Version, type.Plural), type);
            byKind.Add((type.ApiVersion, type.Kind), type);
            if (type.IsStorageVersion)
            {
                byStorageKey.Add(type.StorageKey, type);
            }
        }

        Stored = All.Where(t => t.IsStorageVersion).ToList();
    }

    /// <summary>Every served resource: stored kinds, versions served by conversion and computed kinds.</summary>
    public IReadOnlyList<ResourceType> All { get; }

    /// <summary>One type per stored kind (its storage version): what controllers walk through the store.</summary>
    public IReadOnlyList<ResourceType> Stored { get; }

    /// <summary>The built-in kinds, shared by every silo.</summary>
    public static ResourceRegistry BuiltIn { get; } = new(CreateBuiltInTypes());

    public ResourceType? Find(string group, string version, string plural) =>
        byPath.TryGetValue((group, version, plural), out var type) ? type : null;

    public ResourceType? FindByKind(string apiVersion, string kind) =>
        byKind.TryGetValue((apiVersion, kind), out var type) ? type : null;

    public ResourceType? FindByStorageKey(string storageKey) =>
        byStorageKey.TryGetValue(storageKey, out var type) ? type : null;

    public ResourceType Get(string storageKey) =>
        FindByStorageKey(storageKey) ?? throw new KeyNotFoundException($"No resource is registered as '{storageKey}'.");

    public IEnumerable<string> GroupVersions => All.Select(t => t.ApiVersion).Distinct();

    private static IEnumerable<ResourceType> CreateBuiltInTypes()
    {
        yield return Core("Namespace", "namespaces", typeof(V1Namespace), namespaced: false, shortNames: ["ns"], hasStatus: true);
        yield return Core("Pod", "pods", typeof(V1Pod), namespaced: true, shortNames: ["po"], hasStatus: true, categories: ["all"]);
        yield return Core("Service", "services", typeof(V1Service), namespaced: true, shortNames: ["svc"], hasStatus: true, categories: ["all"]);
        yield return Core("Endpoints", "endpoints", typeof(V1Endpoints), namespaced: true, shortNames: ["ep"], singular: "endpoints");
        yield return Core("Node", "nodes", typeof(V1Node), namespaced: false, shortNames: ["no"], hasStatus: true);
        yield return Core("ConfigMap", "configmaps", typeof(V1ConfigMap), namespaced: true, shortNames: ["cm"]);
        yield return Core("Secret", "secrets", typeof(V1Secret), namespaced: true);
        yield return Core("ServiceAccount", "serviceaccounts", typeof(V1ServiceAccount), namespaced: true, shortNames: ["sa"]);
        yield return Core("Event", "events", typeof(Corev1Event), namespaced: true, shortNames: ["ev"]);
        yield return Apps("Deployment", "deployments", typeof(V1Deployment), shortNames: ["deploy"]);
        yield return Apps("ReplicaSet", "replicasets", typeof(V1ReplicaSet), shortNames: ["rs"]);
        yield return Apps("DaemonSet", "daemonsets", typeof(V1DaemonSet), shortNames: ["ds"], hasScale: false);
        yield return new ResourceType
        {
            Group = "apps",
            Version = "v1",
            Kind = "ControllerRevision",
            Plural = "controllerrevisions",
            Singular = "controllerrevision",
            Namespaced = true,
            ModelType = typeof(V1ControllerRevision),
        };
        yield return Batch("Job", "jobs", typeof(V1Job), shortNames: []);
        yield return Batch("CronJob", "cronjobs", typeof(V1CronJob), shortNames: ["cj"]);
        yield return new ResourceType
        {
            Group = "coordination.k8s.io",
            Version = "v1",
            Kind = "Lease",
            Plural = "leases",
            Singular = "lease",
            Namespaced = true,
            ModelType = typeof(V1Lease),
        };
        yield return new ResourceType
        {
            Group = "discovery.k8s.io",
            Version = "v1",
            Kind = "EndpointSlice",
            Plural = "endpointslices",
            Singular = "endpointslice",
            Namespaced = true,
            ModelType = typeof(V1EndpointSlice),
        };
        yield return Rbac("Role", "roles", typeof(V1Role), namespaced: true);
        yield return Rbac("ClusterRole", "clusterroles", typeof(V1ClusterRole), namespaced: false);
        yield return Rbac("RoleBinding", "rolebindings", typeof(V1RoleBinding), namespaced: true);
        yield return Rbac("ClusterRoleBinding", "clusterrolebindings", typeof(V1ClusterRoleBinding), namespaced: false);
        yield return Autoscaling(typeof(V2HorizontalPodAutoscaler), "v2", storedAs: null);
        yield return Autoscaling(typeof(V1HorizontalPodAutoscaler), "v1", storedAs: "autoscaling/v2");
        yield return Metrics("PodMetrics", "pods", typeof(PodMetrics), namespaced: true);
        yield return Metrics("NodeMetrics", "nodes", typeof(NodeMetrics), namespaced: false);
        yield return Core("ResourceQuota", "resourcequotas", typeof(V1ResourceQuota), namespaced: true, shortNames: ["quota"], hasStatus: true);
        yield return Core("LimitRange", "limitranges", typeof(V1LimitRange), namespaced: true, shortNames: ["limits"]);
    }

    private static ResourceType Rbac(string kind, string plural, Type model, bool namespaced) => new()
    {
        Group = "rbac.authorization.k8s.io",
        Version = "v1",
        Kind = kind,
        Plural = plural,
        Singular = kind.ToLowerInvariant(),
        Namespaced = namespaced,
        ModelType = model,
    };

    private static ResourceType Autoscaling(Type model, string version, string? storedAs) => new()
    {
        Group = "autoscaling",
        Version = version,
        Kind = "HorizontalPodAutoscaler",
        Plural = "horizontalpodautoscalers",
        Singular = "horizontalpodautoscaler",
        Namespaced = true,
        ModelType = model,
        ShortNames = ["hpa"],
        Categories = ["all"],
        HasStatus = true,
        TracksGeneration = true,
        StoredAs = storedAs,
    };

    /// <summary>The Metrics API (what metrics-server serves): read-only views of the usage the node agents measure.</summary>
    private static ResourceType Metrics(string kind, string plural, Type model, bool namespaced) => new()
    {
        Group = "metrics.k8s.io",
        Version = "v1beta1",
        Kind = kind,
        Plural = plural,
        Singular = "",
        Namespaced = namespaced,
        ModelType = model,
        Stored = false,
        Verbs = ["get", "list"],
    };

    private static ResourceType Core(
        string kind, string plural, Type model, bool namespaced, string[]? shortNames = null,
        bool hasStatus = false, string[]? categories = null, string? singular = null) => new()
        {
            Group = "",
            Version = "v1",
            Kind = kind,
            Plural = plural,
            Singular = singular ?? kind.ToLowerInvariant(),
            Namespaced = namespaced,
            ModelType = model,
            ShortNames = shortNames ?? [],
            Categories = categories ?? [],
            HasStatus = hasStatus,
            TracksGeneration = hasStatus && kind != "Namespace",
        };

    private static ResourceType Apps(string kind, string plural, Type model, string[] shortNames, bool hasScale = true) => new()
    {
        Group = "apps",
        Version = "v1",
        Kind = kind,
        Plural = plural,
        Singular = kind.ToLowerInvariant(),
        Namespaced = true,
        ModelType = model,
        ShortNames = shortNames,
        Categories = ["all"],
        HasStatus = true,
        HasScale = hasScale,
        TracksGeneration = true,
    };

    private static ResourceType Batch(string kind, string plural, Type model, string[] shortNames) => new()
    {
        Group = "batch",
        Version = "v1",
        Kind = kind,
        Plural = plural,
        Singular = kind.ToLowerInvariant(),
        Namespaced = true,
        ModelType = model,
        ShortNames = shortNames,
        Categories = ["all"],
        HasStatus = true,
        TracksGeneration = true,
    };
}
