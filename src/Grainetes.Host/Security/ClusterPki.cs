using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Grainetes.Host.Security;

/// <summary>
/// The cluster's certificates and keys under <c>HOME/pki</c>, made on first start and reused after: a CA (ten
/// years), the API server's serving certificate signed by it with this host's names and addresses (remade when
/// they change or it nears expiry), the admin's client certificate (<c>O=system:masters</c>) for the
/// kubeconfig, and the RSA key that signs service account tokens. Private keys are readable by the owner only.
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

    /// <summary>Loads what exists under <paramref name="home"/>/pki and makes what is missing or stale.</summary>
    public static ClusterPki LoadOrCreate(string home, IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> addresses, TimeProvider time)
    {
        var pki = new ClusterPki(Path.Combine(home, "pki"));
        System.IO.Directory.CreateDirectory(pki.Directory);
        var now = time.GetUtcNow();
        if (!File.Exists(pki.CaCertificateFile) || !File.Exists(pki.CaKeyFile))
        {
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=grainetes-ca", caKey, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var ca = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
            WritePrivate(pki.CaKeyFile, caKey.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(pki.CaCertificateFile, ca.ExportCertificatePem());
            File.Delete(pki.ServingCertificateFile);
            File.Delete(pki.AdminCertificateFile);
        }

        using var caCertificate = X509Certificate2.CreateFromPemFile(pki.CaCertificateFile, pki.CaKeyFile);
        if (!IsCurrentServing(pki.ServingCertificateFile, dnsNames, addresses, now))
        {
            pki.Issue(caCertificate, "CN=grainetes-apiserver", ServerAuth, dnsNames, addresses, pki.ServingCertificateFile, pki.ServingKeyFile, now);
        }

        if (!File.Exists(pki.AdminCertificateFile) || !File.Exists(pki.AdminKeyFile)
            || X509Certificate2.CreateFromPem(File.ReadAllText(pki.AdminCertificateFile)).NotAfter < now.AddDays(30).UtcDateTime)
        {
            pki.Issue(caCertificate, "CN=kubernetes-admin, O=system:masters", ClientAuth, [], [], pki.AdminCertificateFile, pki.AdminKeyFile, now);
        }

        if (!File.Exists(pki.ServiceAccountKeyFile))
        {
            using var rsa = RSA.Create(2048);
            WritePrivate(pki.ServiceAccountKeyFile, rsa.ExportPkcs8PrivateKeyPem());
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
        using var certificate = Sign(ca, new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256), ClientAuth, [], [], time.GetUtcNow());
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>The serving certificate with its key, for Kestrel.</summary>
    public X509Certificate2 LoadServingCertificate() => X509Certificate2.CreateFromPemFile(ServingCertificateFile, ServingKeyFile);

    private void Issue(X509Certificate2 ca, string subject, Oid usage, IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> addresses, string certificateFile, string keyFile, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = Sign(ca, new CertificateRequest(subject, key, HashAlgorithmName.SHA256), usage, dnsNames, addresses, now);
        WritePrivate(keyFile, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
    }

    private static X509Certificate2 Sign(X509Certificate2 ca, CertificateRequest request, Oid usage, IReadOnlyCollection<string> dnsNames, IReadOnlyCollection<IPAddress> addresses, DateTimeOffset now)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
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
