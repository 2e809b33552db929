using System.Collections.Frozen;
using k8s.Models;

namespace Grainetes.Machinery.Patching;

/// <summary>
/// The merge metadata of the built-in kinds' list fields, keyed by the <c>k8s.Models</c> type that declares the
/// field and the field's JSON name. Keying by declaring type (not by path from the root) lets one entry serve
/// every place a type is embedded: a <c>PodSpec</c> in a Pod, a Deployment's template or a ReplicaSet's template.
/// </summary>
public static class PatchMetadata
{
    private static readonly ListMapKey DefaultTcp = new("protocol", "TCP");

    private static readonly FrozenDictionary<(Type Type, string Field), ListPatchMeta> Lists =
        new Dictionary<(Type, string), ListPatchMeta>
        {
            [(typeof(V1ObjectMeta), "finalizers")] = ListPatchMeta.Set,
            [(typeof(V1ObjectMeta), "ownerReferences")] = ListPatchMeta.Keyed("uid"),

            [(typeof(V1PodSpec), "containers")] = ListPatchMeta.Keyed("name"),
            [(typeof(V1PodSpec), "initContainers")] = ListPatchMeta.Keyed("name"),
            [(typeof(V1PodSpec), "ephemeralContainers")] = ListPatchMeta.Keyed("name"),
            [(typeof(V1PodSpec), "volumes")] = ListPatchMeta.Keyed("name"),
            [(typeof(V1PodSpec), "imagePullSecrets")] = ListPatchMeta.Keyed("name"),
            [(typeof(V1PodSpec), "hostAliases")] = ListPatchMeta.Keyed("ip"),
            [(typeof(V1PodSpec), "topologySpreadConstraints")] =
                ListPatchMeta.Keyed("topologyKey", new ListMapKey("whenUnsatisfiable")),
            [(typeof(V1PodSpec), "schedulingGates")] = ListPatchMeta.Keyed("name"),
            [(typeof(V1PodSpec), "resourceClaims")] = ListPatchMeta.Keyed("name"),

            [(typeof(V1Container), "env")] = ListPatchMeta.Keyed("name"),
            [(typeof(V1Container), "ports")] = ListPatchMeta.Keyed("containerPort", DefaultTcp),
            [(typeof(V1Container), "volumeMounts")] = ListPatchMeta.Keyed("mountPath"),
            [(typeof(V1Container), "volumeDevices")] = ListPatchMeta.Keyed("devicePath"),
            [(typeof(V1EphemeralContainer), "env")] = ListPatchMeta.Keyed("name"),
            [(typeof(V1EphemeralContainer), "ports")] = ListPatchMeta.Keyed("containerPort", DefaultTcp),
            [(typeof(V1EphemeralContainer), "volumeMounts")] = ListPatchMeta.Keyed("mountPath"),
            [(typeof(V1EphemeralContainer), "volumeDevices")] = ListPatchMeta.Keyed("devicePath"),

            [(typeof(V1PodStatus), "conditions")] = ListPatchMeta.Keyed("type"),
            [(typeof(V1PodStatus), "podIPs")] = ListPatchMeta.Keyed("ip"),
            [(typeof(V1PodStatus), "hostIPs")] = ListPatchMeta.Keyed("ip"),
            [(typeof(V1PodStatus), "resourceClaimStatuses")] = ListPatchMeta.Keyed("name"),

            [(typeof(V1ServiceSpec), "ports")] = ListPatchMeta.Keyed("port", DefaultTcp),
            [(typeof(V1ServiceStatus), "conditions")] = ListPatchMeta.Keyed("type"),
            [(typeof(V1ServiceAccount), "secrets")] = ListPatchMeta.Keyed("name"),

            [(typeof(V1NodeSpec), "podCIDRs")] = ListPatchMeta.Set,
            [(typeof(V1NodeStatus), "conditions")] = ListPatchMeta.Keyed("type"),
            [(typeof(V1NodeStatus), "addresses")] = ListPatchMeta.Keyed("type"),
            [(typeof(V1NamespaceStatus), "conditions")] = ListPatchMeta.Keyed("type"),

            [(typeof(V1DeploymentStatus), "conditions")] = ListPatchMeta.Keyed("type"),
            [(typeof(V1ReplicaSetStatus), "conditions")] = ListPatchMeta.Keyed("type"),
            [(typeof(V1StatefulSetStatus), "conditions")] = ListPatchMeta.Keyed("type"),
            [(typeof(V1DaemonSetStatus), "conditions")] = ListPatchMeta.Keyed("type"),
            [(typeof(V1JobStatus), "conditions")] = ListPatchMeta.Keyed("type"),
        }.ToFrozenDictionary();

    /// <summary>
    /// The merge metadata of list field <paramref name="field"/> of <paramref name="declaringType"/>, or <c>null</c>
    /// when the list is atomic (tolerations, taints, args, command, envFrom, endpoint subsets, ...).
    /// </summary>
    public static ListPatchMeta? ForList(Type? declaringType, string field) =>
        declaringType is not null && Lists.TryGetValue((declaringType, field), out var meta) ? meta : null;
}
