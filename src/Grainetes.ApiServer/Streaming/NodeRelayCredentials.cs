using System.Security.Cryptography.X509Certificates;

namespace Grainetes.ApiServer.Streaming;

/// <summary>
/// What a relaying API server needs to reach another node's API endpoint over TLS, as kube-apiserver holds a
/// kubelet client certificate and the kubelet's CA: the cluster CA, the only root the far silo's serving certificate
/// may chain to, and this host's own client certificate (with its key) from that CA, whose user must be allowed to
/// impersonate so that the far side authorizes the original caller. Absent on <c>--insecure-http</c> clusters, whose
/// relay stays plain HTTP.
/// </summary>
public sealed class NodeRelayCredentials(X509Certificate2 clusterCa, X509Certificate2 clientCertificate)
{
    public X509Certificate2 ClusterCa { get; } = clusterCa;

    public X509Certificate2 ClientCertificate { get; } = clientCertificate;

    /// <summary>
    /// The user a node's relay certificate names, as Kubernetes names its kubelets; its group is
    /// <see cref="Machinery.Security.BootstrapPolicy.NodesGroup"/>, which the bootstrap policy lets impersonate.
    /// </summary>
    public static string NodeUser(string nodeName) => "system:node:" + nodeName;
}
