using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Grainetes.Host.Security;

/// <summary>
/// The cluster's certificates and keys under <c>HOME/pki</c>, made on first start and reused after: a CA (ten
/// years), the API server's serving certificate signed by it with this host's names and addresses (remade when
/// they change or it nears expiry), the admin's client certificate (<c>O=system:masters</c>) for the
/// kubeconfig, the silo's certificate for TLS between silos, and the RSA key that signs service account tokens. The CA
/// and the keys are the cluster's (<see cref="ClusterKeys"/>, shared through the storage account); the certificates are
/// this host's own. Private keys are readable by the owner only.
/// </summary>
public sealed class ClusterPki
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private ClusterPki(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }

    public string CaCertificateFile => Path.Combine(Directory, "ca.crt");

    public string CaKeyFile => Path.Combine(Directory, "ca.key");

    public string ServingCertificateFile => Path.Combine(Directory, "apiserver.crt");

    public string ServingKeyFile => Path.Combine(Directory, "apiserver.key");

    public string AdminCertificateFile => Path.Combine(Directory, "admin.crt");

    public string AdminKeyFile => Path.Combine(Directory, "admin.key");

    public string ServiceAccountKeyFile => Path.Combine(Directory, "sa.key");

    /// <summary>The files under <paramref name="home"/>/pki as they are, without making anything (for issuing client certificates).</summary>
    public static ClusterPki Open(string home) => new(Path.Combine(home, "pki"));

    public string SiloCertificateFile => Path.Combine(Directory, "silo.crt");

    public string SiloKeyFile => Path.Combine(Directory, "silo.key");

    public string SecretsKeyFile => Path.Combine(Directory, "secrets.key");

    /// <summary>Loads what exists under <paramref name="home"/>/pki and makes what is missing or stale (a cluster of its own).</summary>
    public static ClusterPki LoadOrCreate(string home, IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> addresses, TimeProvider time) =>
        Install(home, ClusterKeys.FromHome(home, time) ?? ClusterKeys.Create(time), dnsNames, addresses, time);

    /// <summary>
    /// Writes the cluster-wide <paramref name="keys"/> under <paramref name="home"/>/pki and issues this host's own
    /// certificates from its CA: serving (this host's names and addresses), admin, and the silo's certificate for
    /// Orleans' TLS between silos. A CA other than the one the home had drops every certificate issued by the old one.
    /// </summary>
    public static ClusterPki Install(string home, ClusterKeys keys, IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> addresses, TimeProvider time)
    {
        var pki = new ClusterPki(Path.Combine(home, "pki"));
        System.IO.Directory.CreateDirectory(pki.Directory);
        var now = time.GetUtcNow();
        if (!File.Exists(pki.CaCertificateFile) || File.ReadAllText(pki.CaCertificateFile) != keys.CaCertificatePem
            || !File.Exists(pki.CaKeyFile) || File.ReadAllText(pki.CaKeyFile) != keys.CaKeyPem)
        {
            WritePrivate(pki.CaKeyFile, keys.CaKeyPem);
            File.WriteAllText(pki.CaCertificateFile, keys.CaCertificatePem);
            File.Delete(pki.ServingCertificateFile);
            File.Delete(pki.AdminCertificateFile);
            File.Delete(pki.SiloCertificateFile);
        }

        if (!File.Exists(pki.ServiceAccountKeyFile) || File.ReadAllText(pki.ServiceAccountKeyFile) != keys.ServiceAccountKeyPem)
        {
            WritePrivate(pki.ServiceAccountKeyFile, keys.ServiceAccountKeyPem);
        }

        if (!File.Exists(pki.SecretsKeyFile) || File.ReadAllText(pki.SecretsKeyFile).Trim() != keys.SecretsEncryptionKey)
        {
            WritePrivate(pki.SecretsKeyFile, keys.SecretsEncryptionKey);
        }

        using var caCertificate = X509Certificate2.CreateFromPemFile(pki.CaCertificateFile, pki.CaKeyFile);
        if (!IsCurrentServing(pki.ServingCertificateFile, dnsNames, addresses, now))
        {
            pki.Issue(caCertificate, "CN=grainetes-apiserver", [ServerAuth], dnsNames, addresses, pki.ServingCertificateFile, pki.ServingKeyFile, now);
        }

        if (!IsCurrent(pki.AdminCertificateFile, pki.AdminKeyFile, now))
        {
            pki.Issue(caCertificate, "CN=kubernetes-admin, O=system:masters", [ClientAuth], [], [], pki.AdminCertificateFile, pki.AdminKeyFile, now);
        }

        // One certificate both ends of a silo-to-silo connection present: the dialling silo is the TLS client.
        if (!IsCurrentServing(pki.SiloCertificateFile, dnsNames, addresses, now) || !File.Exists(pki.SiloKeyFile))
        {
            pki.Issue(caCertificate, "CN=grainetes-silo", [ServerAuth, ClientAuth], dnsNames, addresses, pki.SiloCertificateFile, pki.SiloKeyFile, now);
        }

        return pki;
    }

    /// <summary>A client certificate for <paramref name="user"/> in <paramref name="groups"/>, signed by the CA (for <c>grainetes</c> commands and tests).</summary>
    public (string CertificatePem, string KeyPem) IssueClientCertificate(string user, IReadOnlyList<string> groups, TimeProvider time)
    {
        using var ca = X509Certificate2.CreateFromPemFile(CaCertificateFile, CaKeyFile);
        var subject = new X500DistinguishedNameBuilder();
        foreach (var group in groups)
        {
            subject.AddOrganizationName(group);
        }

        subject.AddCommonName(user);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Sign(ca, new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256), [ClientAuth], [], [], time.GetUtcNow());
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>The serving certificate with its key, for Kestrel.</summary>
    public X509Certificate2 LoadServingCertificate() => X509Certificate2.CreateFromPemFile(ServingCertificateFile, ServingKeyFile);

    /// <summary>The silo's certificate with its key, for Orleans' TLS between silos.</summary>
    public X509Certificate2 LoadSiloCertificate() => X509Certificate2.CreateFromPemFile(SiloCertificateFile, SiloKeyFile);

    /// <summary>The cluster CA's certificate (no key), the only root a peer silo's chain may lead to.</summary>
    public X509Certificate2 LoadCaCertificate() => X509Certificate2.CreateFromPem(File.ReadAllText(CaCertificateFile));

    private void Issue(X509Certificate2 ca, string subject, Oid[] usage, IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> addresses, string certificateFile, string keyFile, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Sign(ca, new CertificateRequest(subject, key, HashAlgorithmName.SHA256), usage, dnsNames, addresses, now);
        WritePrivate(keyFile, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
    }

    private static X509Certificate2 Sign(X509Certificate2 ca, CertificateRequest request, Oid[] usage, IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> addresses, DateTimeOffset now)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var usages = new OidCollection();
        foreach (var oid in usage)
        {
            usages.Add(oid);
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (dnsNames.Count + addresses.Count > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                san.AddDnsName(name);
            }

            foreach (var address in addresses)
            {
                san.AddIpAddress(address);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        return request.Create(ca, now.AddMinutes(-5), now.AddYears(1), serial);
    }

    private static bool IsCurrent(string certificateFile, string keyFile, DateTimeOffset now) =>
        File.Exists(certificateFile) && File.Exists(keyFile)
        && X509Certificate2.CreateFromPem(File.ReadAllText(certificateFile)).NotAfter >= now.AddDays(30).UtcDateTime;

    private static bool IsCurrentServing(string file, IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> addresses, DateTimeOffset now)
    {
        if (!File.Exists(file))
        {
            return false;
        }

        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(file));
        if (certificate.NotAfter < now.AddDays(30).UtcDateTime)
        {
            return false;
        }

        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null)
        {
            return false;
        }

        var names = san.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var ips = san.EnumerateIPAddresses().ToHashSet();
        return dnsNames.All(names.Contains) && addresses.All(ips.Contains);
    }

    private static void WritePrivate(string file, string pem)
    {
        File.Delete(file);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(file, options);
        writer.Write(pem);
    }
}
