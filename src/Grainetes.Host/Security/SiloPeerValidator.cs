using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Grainetes.Host.Security;

/// <summary>
/// Decides whether the other end of a silo-to-silo connection belongs to this cluster: its certificate must chain to
/// the cluster CA (and to nothing else) and allow the role it plays. Host names are not checked: silos dial each
/// other by address, and holding a certificate of the cluster CA is what membership means.
/// </summary>
public sealed partial class SiloPeerValidator(X509Certificate2 ca, TimeProvider time, ILogger<SiloPeerValidator> logger)
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public bool Validate(X509Certificate2 certificate, X509Chain? chain, SslPolicyErrors policyErrors)
    {
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(ca);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;

        // Both ends present the same kind of certificate, so requiring both usages holds either direction.
        custom.ChainPolicy.ApplicationPolicy.Add(ServerAuth);
        custom.ChainPolicy.ApplicationPolicy.Add(ClientAuth);
        if (custom.Build(certificate))
        {
            return true;
        }

        LogRejected(certificate.Subject, certificate.Issuer, string.Join("; ", custom.ChainStatus.Select(s => s.StatusInformation.Trim())));
        return false;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a silo connection: certificate {Subject} issued by {Issuer} is not the cluster CA's ({Reason})")]
    private partial void LogRejected(string subject, string issuer, string reason);
}
