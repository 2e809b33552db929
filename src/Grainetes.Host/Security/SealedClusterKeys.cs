using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Grainetes.Host.Security;

/// <summary>
/// <see cref="ClusterKeys"/> sealed with AES-256-GCM under a key derived from the <see cref="ClusterSecret"/>:
/// what the storage account holds. The tag makes a wrong secret fail loudly instead of yielding garbage keys.
/// </summary>
public sealed record SealedClusterKeys(byte[] Salt, byte[] Nonce, byte[] Tag, byte[] Ciphertext)
{
    private const int TagSize = 16;

    public static SealedClusterKeys Seal(ClusterKeys keys, ClusterSecret secret, string clusterId)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var plaintext = JsonSerializer.SerializeToUtf8Bytes(keys);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[TagSize];
        using var aes = new AesGcm(secret.DeriveKey(salt, clusterId), TagSize);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, Encoding.UTF8.GetBytes(clusterId));
        return new SealedClusterKeys(salt, nonce, tag, ciphertext);
    }

    /// <exception cref="ClusterJoinException">The secret is not this cluster's.</exception>
    public ClusterKeys Unseal(ClusterSecret secret, string clusterId)
    {
        var plaintext = new byte[Ciphertext.Length];
        try
        {
            using var aes = new AesGcm(secret.DeriveKey(Salt, clusterId), TagSize);
            aes.Decrypt(Nonce, Ciphertext, Tag, plaintext, Encoding.UTF8.GetBytes(clusterId));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new ClusterJoinException(
                $"The cluster secret does not open the keys of cluster '{clusterId}' in this storage account: it is the wrong secret. "
                + "Use the join command that `grainetes up` printed on the first host (also in HOME/join-command there).", ex);
        }

        return JsonSerializer.Deserialize<ClusterKeys>(plaintext)
            ?? throw new ClusterJoinException($"The sealed keys of cluster '{clusterId}' are empty.");
    }
}
