using System.Collections.Frozen;

namespace Grainetes.Machinery.Protobuf;

/// <summary>
/// Field numbers and JSON names of the Kubernetes protobuf messages the server can decode
/// (core/v1, apps/v1, batch/v1, scheduling/v1, rbac/v1, networking/v1, policy/v1, authentication/v1, autoscaling/v1
/// and the meta/v1 types they embed): every kind <c>kubectl create</c> generates, plus the workload kinds.
/// </summary>
/// <remarks>
/// Written from the public k8s.io/api and k8s.io/apimachinery v0.35 definitions: numbers from generated.proto,
/// JSON names, pointer-ness and <c>omitempty</c> from the Go struct tags. Newer than kubectl v1.32 on purpose:
/// fields a client does not send are simply absent, and fields newer than this table are skipped.
/// </remarks>
public static partial class KubernetesProtoSchema
{
    private static readonly FrozenDictionary<string, ProtoMessage> MessageTable =
        BuildMessages().ToFrozenDictionary(m => m.Name, StringComparer.Ordinal);

    private static readonly FrozenDictionary<(string ApiVersion, string Kind), string> KindTable =
        new Dictionary<(string ApiVersion, string Kind), string>
        {
            [("v1", "ConfigMap")] = "ConfigMap",
            [("v1", "Endpoints")] = "Endpoints",
            [("v1", "LimitRange")] = "LimitRange",
            [("v1", "Namespace")] = "Namespace",
            [("v1", "PersistentVolumeClaim")] = "PersistentVolumeClaim",
            [("v1", "Pod")] = "Pod",
            [("v1", "PodTemplate")] = "PodTemplate",
            [("v1", "ReplicationController")] = "ReplicationController",
            [("v1", "ResourceQuota")] = "ResourceQuota",
            [("v1", "Secret")] = "Secret",
            [("v1", "Service")] = "Service",
            [("v1", "ServiceAccount")] = "ServiceAccount",
            [("apps/v1", "DaemonSet")] = "DaemonSet",
            [("apps/v1", "Deployment")] = "Deployment",
            [("apps/v1", "ReplicaSet")] = "ReplicaSet",
            [("apps/v1", "StatefulSet")] = "StatefulSet",
            [("batch/v1", "CronJob")] = "CronJob",
            [("batch/v1", "Job")] = "Job",
            [("scheduling.k8s.io/v1", "PriorityClass")] = "PriorityClass",
            [("rbac.authorization.k8s.io/v1", "ClusterRole")] = "ClusterRole",
            [("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")] = "ClusterRoleBinding",
            [("rbac.authorization.k8s.io/v1", "Role")] = "Role",
            [("rbac.authorization.k8s.io/v1", "RoleBinding")] = "RoleBinding",
            [("networking.k8s.io/v1", "Ingress")] = "Ingress",
            [("networking.k8s.io/v1", "NetworkPolicy")] = "NetworkPolicy",
            [("policy/v1", "PodDisruptionBudget")] = "PodDisruptionBudget",
            [("authentication.k8s.io/v1", "TokenRequest")] = "TokenRequest",
            [("authentication.k8s.io/v1", "SelfSubjectReview")] = "SelfSubjectReview",
            [("authorization.k8s.io/v1", "SelfSubjectAccessReview")] = "SelfSubjectAccessReview",
            [("authorization.k8s.io/v1", "SelfSubjectRulesReview")] = "SelfSubjectRulesReview",
            [("authorization.k8s.io/v1", "SubjectAccessReview")] = "SubjectAccessReview",
            [("authorization.k8s.io/v1", "LocalSubjectAccessReview")] = "LocalSubjectAccessReview",
            [("autoscaling/v1", "HorizontalPodAutoscaler")] = "HorizontalPodAutoscaler",
        }.ToFrozenDictionary();

    /// <summary>Every message in the table, by name (names are unique across the packages covered).</summary>
    public static FrozenDictionary<string, ProtoMessage> Messages => MessageTable;

    /// <summary>Top-level kinds that can be decoded, with the message each one's <c>raw</c> bytes hold.</summary>
    public static FrozenDictionary<(string ApiVersion, string Kind), string> Kinds => KindTable;

    public static bool TryGetKind(string apiVersion, string kind, out ProtoMessage message)
    {
        if (KindTable.TryGetValue((apiVersion, kind), out var name))
        {
            message = MessageTable[name];
            return true;
        }

        message = null!;
        return false;
    }

    public static ProtoMessage GetMessage(string name) => MessageTable[name];

    // Short names keep the table close to one line per field.
    private const ProtoFieldOptions Repeated = ProtoFieldOptions.Repeated;
    private const ProtoFieldOptions Map = ProtoFieldOptions.Map;
    private const ProtoFieldOptions OmitZero = ProtoFieldOptions.OmitZero;
    private const ProtoFieldOptions Inline = ProtoFieldOptions.Inline;

    private static ProtoMessage M(string name, params ProtoField[] fields) => new(name, fields);

    private static ProtoField Str(int number, string json, ProtoFieldOptions options = default) => new(number, json, ProtoKind.String, null, options);

    private static ProtoField Int32(int number, string json, ProtoFieldOptions options = default) => new(number, json, ProtoKind.Int32, null, options);

    private static ProtoField Int64(int number, string json, ProtoFieldOptions options = default) => new(number, json, ProtoKind.Int64, null, options);

    private static ProtoField Bool(int number, string json, ProtoFieldOptions options = default) => new(number, json, ProtoKind.Bool, null, options);

    private static ProtoField Bytes(int number, string json, ProtoFieldOptions options = default) => new(number, json, ProtoKind.Bytes, null, options);

    private static ProtoField Double(int number, string json, ProtoFieldOptions options = default) => new(number, json, ProtoKind.Double, null, options);

    private static ProtoField Time(int number, string json, ProtoFieldOptions options = default) => new(number, json, ProtoKind.Time, null, options);

    private static ProtoField Quantity(int number, string json, ProtoFieldOptions options = default) => new(number, json, ProtoKind.Quantity, null, options);

    private static ProtoField IntOrString(int number, string json, ProtoFieldOptions options = default) => new(number, json, ProtoKind.IntOrString, null, options);

    private static ProtoField RawJson(int number, string json, ProtoFieldOptions options = default) => new(number, json, ProtoKind.RawJson, null, options);

    private static ProtoField Msg(int number, string json, string type, ProtoFieldOptions options = default) => new(number, json, ProtoKind.Message, type, options);
}
