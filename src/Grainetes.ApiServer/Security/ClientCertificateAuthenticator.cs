using System.Security.Cryptography.X509Certificates;
using Grainetes.Machinery.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Grainetes.ApiServer.Security;

/// <summary>
/// Client certificates signed by the cluster CA, as Kubernetes reads them: the subject's CN is the user and
/// each O a group. The TLS layer accepts any certificate; the chain is checked here against the CA alone.
/// </summary>
public sealed class ClientCertificateAuthenticator : IRequestAuthenticator
{
    private readonly X509Certificate2? ca;
    private readonly TimeProvider time;

    // A connection keeps its certificate instance, and kubectl keeps its connections: check each chain once per
    // connection, not once per request.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<X509Certificate2, CheckedCertificate> checkedCertificates = new();

    public ClientCertificateAuthenticator(IOptions<ApiSecurityOptions> options, TimeProvider time)
    {
        this.time = time;
        if (options.Value.ClientCaFile is { } file && File.Exists(file))
        {
            ca = X509Certificate2.CreateFromPem(File.ReadAllText(file));
        }
    }

    public async ValueTask<UserInfo?> AuthenticateAsync(HttpContext context)
    {
        if (ca is null)
        {
            return null;
        }

        var certificate = context.Connection.ClientCertificate ?? await context.Connection.GetClientCertificateAsync(context.RequestAborted);
        if (certificate is null)
        {
            return null;
        }

        var box = checkedCertificates.GetValue(certificate, c => new CheckedCertificate(IsSignedByCa(c) ? UserOf(c) : null, c.NotAfter.ToUniversalTime()));
        return box.ValidUntil > time.GetUtcNow().UtcDateTime ? box.User : null;
    }

    private sealed record CheckedCertificate(UserInfo? User, DateTime ValidUntil);

    private bool IsSignedByCa(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca!);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(certificate);
    }

    private static UserInfo? UserOf(X509Certificate2 certificate)
    {
        string? name = null;
        var groups = new List<string>();
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            var oid = rdn.GetSingleElementType().Value;
            var value = rdn.GetSingleElementValue();
            if (value is null)
            {
                continue;
            }

            if (oid == "2.5.4.3")
            {
                name = value;
            }
            else if (oid == "2.5.4.10")
            {
                groups.Add(value);
            }
        }

        return string.IsNullOrEmpty(name) ? null : UserInfo.Authenticated(name, null, groups);
    }
}
