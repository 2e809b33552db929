using System.Security.Cryptography;
using System.Text.Json;
using Grainetes.Machinery.Security;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Grainetes.ApiServer.Security;

/// <summary>
/// Signs and checks service account tokens: RS256 JWTs with Kubernetes' claims (<c>sub</c>
/// <c>system:serviceaccount:ns:name</c> and the <c>kubernetes.io</c> object naming the account and its uid),
/// with the key every silo of the cluster shares.
/// </summary>
public sealed class ServiceAccountTokens
{
    private readonly ApiSecurityOptions options;
    private readonly TimeProvider time;
    private readonly JsonWebTokenHandler handler = new();
    private readonly RsaSecurityKey? key;

    public ServiceAccountTokens(IOptions<ApiSecurityOptions> options, TimeProvider time)
    {
        this.options = options.Value;
        this.time = time;
        if (this.options.ServiceAccountKeyFile is { } file && File.Exists(file))
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(File.ReadAllText(file));
            key = new RsaSecurityKey(rsa) { KeyId = Convert.ToHexString(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16].ToLowerInvariant() };
        }
    }

    public bool CanIssue => key is not null;

    public string DefaultAudience => options.ServiceAccountAudience;

    public string Issue(string @namespace, string name, string uid, IReadOnlyList<string> audiences, TimeSpan lifetime, out DateTimeOffset expires)
    {
        if (key is null)
        {
            throw new InvalidOperationException("no service account signing key is configured");
        }

        var now = time.GetUtcNow();
        expires = now + lifetime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = options.ServiceAccountIssuer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = ServiceAccountUser.Name(@namespace, name),
                ["aud"] = audiences.Count == 0 ? new[] { options.ServiceAccountAudience } : audiences.ToArray(),
                ["kubernetes.io"] = new Dictionary<string, object>
                {
                    ["namespace"] = @namespace,
                    ["serviceaccount"] = new Dictionary<string, object> { ["name"] = name, ["uid"] = uid },
                },
            },
        };
        return handler.CreateToken(descriptor);
    }

    /// <summary>The account a token names, when its signature, issuer, audience and lifetime hold; otherwise null.</summary>
    public async Task<(string Namespace, string Name, string Uid)?> ValidateAsync(string token)
    {
        if (key is null || token.Count(c => c == '.') != 2)
        {
            return null;
        }

        var result = await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = options.ServiceAccountIssuer,
            ValidAudience = options.ServiceAccountAudience,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return (notBefore is null || notBefore <= now.AddSeconds(30)) && expires is not null && expires > now;
            },
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt
            || !ServiceAccountUser.TryParse(jwt.Subject, out var ns, out var name)
            || !jwt.TryGetPayloadValue<JsonElement>("kubernetes.io", out var claims)
            || !claims.TryGetProperty("serviceaccount", out var account)
            || !account.TryGetProperty("uid", out var uid) || uid.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        return (ns, name, uid.GetString()!);
    }
}
