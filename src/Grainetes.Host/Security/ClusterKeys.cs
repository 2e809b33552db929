using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Grainetes.Host.Security;

/// <summary>
/// What every silo of a cluster must share: the CA (certificate and key: each silo issues its own serving, admin
/// and silo certificates from it), the key that signs service account tokens, and the key that seals Secrets.
/// </summary>
public sealed record ClusterKeys(string CaCertificatePem, string CaKeyPem, string ServiceAccountKeyPem, string SecretsEncryptionKey)
{
    /// <summary>Fresh keys for a new cluster.</summary>
    public static ClusterKeys Create(TimeProvider time)
    {
        var now = time.GetUtcNow();
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=grainetes-ca", caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        using var rsa = RSA.Create(2048);
        return new ClusterKeys(
            ca.ExportCertificatePem(),
            caKey.ExportPkcs8PrivateKeyPem(),
            rsa.ExportPkcs8PrivateKeyPem(),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
    }

    /// <summary>
    /// The keys a single-host cluster made before they were cluster-wide (<c>HOME/pki</c>), so that its first start
    /// as a cluster keeps its CA, tokens and sealed Secrets valid; null when the home has neither a CA nor a Secrets key.
    /// </summary>
    public static ClusterKeys? FromHome(string home, TimeProvider time)
    {
        var pki = ClusterPki.Open(home);
        var secretsKeyFile = Path.Combine(home, "pki", "secrets.key");
        var hasCa = File.Exists(pki.CaCertificateFile) && File.Exists(pki.CaKeyFile);

        // A home with only a Secrets key (one `grainetes restore` filled) keeps it too: the restored Secrets are
        // sealed with it.
        if (!hasCa && !File.Exists(secretsKeyFile))
        {
            return null;
        }

        var fresh = Create(time);
        return new ClusterKeys(
            hasCa ? File.ReadAllText(pki.CaCertificateFile) : fresh.CaCertificatePem,
            hasCa ? File.ReadAllText(pki.CaKeyFile) : fresh.CaKeyPem,
            File.Exists(pki.ServiceAccountKeyFile) ? File.ReadAllText(pki.ServiceAccountKeyFile) : fresh.ServiceAccountKeyPem,
            File.Exists(secretsKeyFile) ? File.ReadAllText(secretsKeyFile).Trim() : fresh.SecretsEncryptionKey);
    }
}
