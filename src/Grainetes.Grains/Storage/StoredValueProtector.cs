using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Grainetes.Grains.Storage;

/// <summary>
/// Encryption at rest of the kinds that hold secrets (Kubernetes' EncryptionConfiguration with the
/// <c>aesgcm</c> provider): every stored copy of a Secret — object row, change log and index — is sealed with
/// AES-256-GCM under <see cref="StoreOptions.SecretsEncryptionKey"/>, with a fresh nonce per write. Reads
/// recognise sealed values by their prefix, so data written before a key was configured still reads.
/// </summary>
public sealed class StoredValueProtector
{
    private const string Prefix = "k8s:enc:aesgcm:v1:";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private static readonly string[] SensitiveKinds = ["secrets"];

    private readonly byte[]? key;

    public StoredValueProtector(IOptions<StoreOptions> options)
    {
        if (options.Value.SecretsEncryptionKey is { Length: > 0 } text)
        {
            key = Convert.FromBase64String(text.Trim());
            if (key.Length != 32)
            {
                throw new InvalidOperationException("Store:SecretsEncryptionKey must be 32 bytes, base64-encoded");
            }
        }
    }

    public bool Enabled => key is not null;

    /// <summary>The value to store for an object of <paramref name="kind"/> (a storage key such as <c>secrets</c>).</summary>
    public string? Protect(string kind, string? json)
    {
        if (key is null || json is null || !SensitiveKinds.Contains(kind, StringComparer.Ordinal))
        {
            return json;
        }

        var plain = Encoding.UTF8.GetBytes(json);
        var sealedBytes = new byte[NonceBytes + plain.Length + TagBytes];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagBytes);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceBytes, plain.Length), sealedBytes.AsSpan(NonceBytes + plain.Length), Encoding.UTF8.GetBytes(kind));
        return Prefix + kind + ":" + Convert.ToBase64String(sealedBytes);
    }

    /// <summary>The JSON of a stored value, opening it when it is sealed.</summary>
    public string? Unprotect(string? stored)
    {
        if (stored is null || !stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return stored;
        }

        if (key is null)
        {
            throw new InvalidOperationException("a stored Secret is encrypted but no Store:SecretsEncryptionKey is configured");
        }

        var rest = stored.AsSpan(Prefix.Length);
        var colon = rest.IndexOf(':');
        var kind = rest[..colon].ToString();
        var sealedBytes = Convert.FromBase64String(rest[(colon + 1)..].ToString());
        var plain = new byte[sealedBytes.Length - NonceBytes - TagBytes];
        using var aes = new AesGcm(key, TagBytes);
        aes.Decrypt(sealedBytes.AsSpan(0, NonceBytes), sealedBytes.AsSpan(NonceBytes, plain.Length), sealedBytes.AsSpan(NonceBytes + plain.Length), plain, Encoding.UTF8.GetBytes(kind));
        return Encoding.UTF8.GetString(plain);
    }
}
