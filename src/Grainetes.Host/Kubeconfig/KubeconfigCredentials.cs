namespace Grainetes.Host.Kubeconfig;

/// <summary>What a kubeconfig carries to trust the server and prove the user: PEM text, or a bearer token.</summary>
public sealed record KubeconfigCredentials
{
    public string? CertificateAuthorityPem { get; init; }

    public string? ClientCertificatePem { get; init; }

    public string? ClientKeyPem { get; init; }

    public string? Token { get; init; }
}
