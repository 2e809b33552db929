using Grainetes.Machinery.Resources;

namespace Grainetes.Machinery.Printing;

/// <summary>Which printer shows a resource; the default printer covers every kind without one.</summary>
internal static class KindPrinters
{
    public static KindPrinter For(ResourceType type) => (type.Group, type.Kind) switch
    {
        ("", "Namespace") => ConfigPrinters.Namespace,
        ("", "Pod") => PodPrinter.Printer,
        ("", "Service") => ServicePrinters.Service,
        ("", "Endpoints") => ServicePrinters.Endpoints,
        ("", "Node") => NodePrinter.Printer,
        ("", "ConfigMap") => ConfigPrinters.ConfigMap,
        ("", "Secret") => ConfigPrinters.Secret,
        ("", "ServiceAccount") => ConfigPrinters.ServiceAccount,
        ("", "Event") => EventPrinter.Printer,
        ("apps", "Deployment") => AppsPrinters.Deployment,
        ("apps", "ReplicaSet") => AppsPrinters.ReplicaSet,
        ("apps", "DaemonSet") => AppsPrinters.DaemonSet,
        ("apps", "ControllerRevision") => AppsPrinters.ControllerRevision,
        ("batch", "Job") => BatchPrinters.Job,
        ("batch", "CronJob") => BatchPrinters.CronJob,
        ("coordination.k8s.io", "Lease") => ConfigPrinters.Lease,
        ("discovery.k8s.io", "EndpointSlice") => EndpointSlicePrinter.Printer,
        ("rbac.authorization.k8s.io", "Role" or "ClusterRole") => RbacPrinters.Role,
        ("rbac.authorization.k8s.io", "RoleBinding" or "ClusterRoleBinding") => RbacPrinters.Binding,
        ("autoscaling", "HorizontalPodAutoscaler") => AutoscalingPrinters.HorizontalPodAutoscaler,
        ("metrics.k8s.io", "NodeMetrics") => MetricsPrinters.NodeMetrics,
        ("metrics.k8s.io", "PodMetrics") => MetricsPrinters.PodMetrics,
        ("", "ResourceQuota") => PolicyPrinters.ResourceQuota,
        ("", "LimitRange") => PolicyPrinters.LimitRange,
        _ => ConfigPrinters.Default,
    };
}
