using Grainetes.Machinery.Protobuf;

namespace Grainetes.Machinery.Tests.Protobuf;

public sealed class KubernetesProtoSchemaTests
{
    [Fact]
    public void Every_message_reference_resolves()
    {
        var missing = KubernetesProtoSchema.Messages.Values
            .SelectMany(m => m.Fields.Values.Where(f => f.Kind == ProtoKind.Message).Select(f => $"{m.Name}.{f.JsonName} -> {f.MessageType}"))
            .Where(r => !KubernetesProtoSchema.Messages.ContainsKey(r[(r.IndexOf("-> ", StringComparison.Ordinal) + 3)..]))
            .ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void Every_kind_maps_to_a_message_with_metadata_in_field_one()
    {
        foreach (var ((apiVersion, kind), _) in KubernetesProtoSchema.Kinds)
        {
            Assert.True(KubernetesProtoSchema.TryGetKind(apiVersion, kind, out var message), kind);
            Assert.Equal("metadata", message.Fields[1].JsonName);
            Assert.Equal("ObjectMeta", message.Fields[1].MessageType);
        }
    }

    [Fact]
    public void Json_names_are_unique_within_a_message_and_only_inline_fields_lack_one()
    {
        foreach (var message in KubernetesProtoSchema.Messages.Values)
        {
            var named = message.Fields.Values.Where(f => !f.IsInline).ToList();
            Assert.All(named, f => Assert.NotEmpty(f.JsonName));
            Assert.Equal(named.Count, named.Select(f => f.JsonName).Distinct(StringComparer.Ordinal).Count());
            Assert.All(message.Fields.Values.Where(f => f.IsInline), f => Assert.Equal(ProtoKind.Message, f.Kind));
        }
    }

    [Fact]
    public void Options_are_consistent()
    {
        var fields = KubernetesProtoSchema.Messages.Values.SelectMany(m => m.Fields.Values).ToList();
        Assert.DoesNotContain(fields, f => f.IsMap && f.IsRepeated);
        Assert.DoesNotContain(fields, f => f.OmitZero && (f.IsMap || f.IsRepeated || f.Kind == ProtoKind.Message));
    }

    [Fact]
    public void Requested_kinds_and_messages_are_covered()
    {
        string[] kinds = ["ConfigMap", "Namespace", "Secret", "ServiceAccount", "Service", "Pod", "Deployment", "ReplicaSet", "Job", "CronJob", "ResourceQuota", "PriorityClass",
            "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "Ingress", "PodDisruptionBudget", "TokenRequest"];
        Assert.All(kinds, k => Assert.Contains(KubernetesProtoSchema.Kinds.Keys, key => key.Kind == k));

        string[] messages =
        [
            "NamespaceSpec", "NamespaceStatus", "ServiceSpec", "ServicePort", "ServiceStatus", "DeploymentSpec", "DeploymentStrategy",
            "RollingUpdateDeployment", "PodTemplateSpec", "PodSpec", "Container", "ContainerPort", "EnvVar", "EnvVarSource",
            "ConfigMapKeySelector", "SecretKeySelector", "ObjectFieldSelector", "ResourceFieldSelector", "EnvFromSource",
            "ResourceRequirements", "VolumeMount", "Volume", "EmptyDirVolumeSource", "ConfigMapVolumeSource", "SecretVolumeSource",
            "HostPathVolumeSource", "KeyToPath", "Probe", "ProbeHandler", "ExecAction", "HTTPGetAction", "TCPSocketAction", "Lifecycle",
            "SecurityContext", "PodSecurityContext", "Toleration", "Affinity", "JobSpec", "CronJobSpec", "JobTemplateSpec",
            "LabelSelector", "LabelSelectorRequirement", "ObjectMeta", "OwnerReference", "ManagedFieldsEntry",
        ];
        Assert.All(messages, m => Assert.True(KubernetesProtoSchema.Messages.ContainsKey(m), m));
    }
}
