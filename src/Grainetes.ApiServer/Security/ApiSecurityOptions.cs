namespace Grainetes.ApiServer.Security;

/// <summary>Who may call the API and how they prove it. Bound from the <c>ApiServer:Security</c> section.</summary>
public sealed class ApiSecurityOptions
{
    public const string SectionName = "ApiServer:Security";

    /// <summary>
    /// Plain HTTP with every request treated as the cluster admin, like Kubernetes' old insecure port. Only for
    /// tests (<c>--insecure-http</c>); never serve it beyond loopback.
    /// </summary>
    public bool Insecure { get; set; }

    /// <summary>Kubernetes' <c>--token-auth-file</c>: CSV lines <c>token,user,uid,"group1,group2"</c>.</summary>
    public string? TokenAuthFile { get; set; }

    /// <summary>PEM of the CA whose client certificates are accepted (CN = user, O = groups).</summary>
    public string? ClientCaFile { get; set; }

    /// <summary>PEM of the RSA key that signs and verifies service account tokens.</summary>
    public string? ServiceAccountKeyFile { get; set; }

    /// <summary>The <c>iss</c> of service account tokens.</summary>
    public string ServiceAccountIssuer { get; set; } = "https://kubernetes.default.svc.cluster.local";

    /// <summary>The audience tokens are issued for when a TokenRequest names none, and that the server accepts.</summary>
    public string ServiceAccountAudience { get; set; } = "https://kubernetes.default.svc.cluster.local";
}
