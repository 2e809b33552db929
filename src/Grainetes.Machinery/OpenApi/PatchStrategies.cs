using System.Collections.Frozen;

namespace Grainetes.Machinery.OpenApi;

/// <summary>
/// Strategic merge metadata of list fields. k8s.Models carries no Go struct tags, so the
/// <c>patchStrategy</c>/<c>patchMergeKey</c> tags of the Kubernetes types are restated here;
/// kubectl apply needs them to merge lists by key instead of replacing them.
/// </summary>
internal static class PatchStrategies
{
    private static readonly FrozenDictionary<(string Type, string Property), (string? MergeKey, string Strategy)> Table = new Dictionary<(string Type, string Property), (string? MergeKey, string Strategy)>
    {
        [("V1PodSpec", "containers")] = ("name", "merge"),
        [("V1PodSpec", "initContainers")] = ("name", "merge"),
        [("V1PodSpec", "ephemeralContainers")] = ("name", "merge"),
        [("V1PodSpec", "volumes")] = ("name", "merge,retainKeys"),
        [("V1PodSpec", "imagePullSecrets")] = ("name", "merge"),
        [("V1PodSpec", "hostAliases")] = ("ip", "merge"),
        [("V1PodSpec", "topologySpreadConstraints")] = ("topologyKey", "merge"),
        [("V1PodSpec", "schedulingGates")] = ("name", "merge"),
        [("V1PodSpec", "resourceClaims")] = ("name", "merge,retainKeys"),
        [("V1Container", "ports")] = ("containerPort", "merge"),
        [("V1Container", "env")] = ("name", "merge"),
        [("V1Container", "volumeMounts")] = ("mountPath", "merge"),
        [("V1Container", "volumeDevices")] = ("devicePath", "merge"),
        [("V1EphemeralContainer", "ports")] = ("containerPort", "merge"),
        [("V1EphemeralContainer", "env")] = ("name", "merge"),
        [("V1EphemeralContainer", "volumeMounts")] = ("mountPath", "merge"),
        [("V1EphemeralContainer", "volumeDevices")] = ("devicePath", "merge"),
        [("V1PodStatus", "conditions")] = ("type", "merge"),
        [("V1PodStatus", "podIPs")] = ("ip", "merge"),
        [("V1PodStatus", "hostIPs")] = ("ip", "merge"),
        [("V1PodStatus", "resourceClaimStatuses")] = ("name", "merge,retainKeys"),
        [("V1ServiceSpec", "ports")] = ("port", "merge"),
        [("V1ServiceStatus", "conditions")] = ("type", "merge"),
        [("V1NodeSpec", "podCIDRs")] = (null, "merge"),
        [("V1NodeStatus", "conditions")] = ("type", "merge"),
        [("V1NodeStatus", "addresses")] = ("type", "merge"),
        [("V1NamespaceStatus", "conditions")] = ("type", "merge"),
        [("V1ServiceAccount", "secrets")] = ("name", "merge"),
        [("V1ObjectMeta", "finalizers")] = (null, "merge"),
        [("V1ObjectMeta", "ownerReferences")] = ("uid", "merge"),
        [("V1DeploymentSpec", "strategy")] = (null, "retainKeys"),
        [("V1DeploymentStatus", "conditions")] = ("type", "merge"),
        [("V1ReplicaSetStatus", "conditions")] = ("type", "merge"),
        [("V1DaemonSetStatus", "conditions")] = ("type", "merge"),
        [("V1JobStatus", "conditions")] = ("type", "merge"),
    }.ToFrozenDictionary();

    public static (string? MergeKey, string Strategy)? For(Type declaringType, string jsonName) =>
        Table.TryGetValue((declaringType.Name, jsonName), out var entry) ? entry : null;
}
