using System.Security.Cryptography;
using System.Text;

namespace Grainetes.Host.Security;

/// <summary>
/// The random secret that opens the cluster's sealed keys in the storage account (<see cref="SealedClusterKeys"/>).
/// <c>up</c> makes it once and keeps it in <c>HOME/pki/cluster-secret</c> (owner-only); other hosts learn it only
/// from the join command. Whoever has the storage account but not the secret can read no key.
/// </summary>
public sealed class ClusterSecret
{
    private const int Length = 32;

    private readonly byte[] bytes;

    private ClusterSecret(byte[] bytes)
    {
        this.bytes = bytes;
    }

    /// <summary>The secret as the join command spells it (base64url, no padding).</summary>
    public string Text => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string FileIn(string home) => Path.Combine(home, "pki", "cluster-secret");

    public static ClusterSecret Create() => new(RandomNumberGenerator.GetBytes(Length));

    /// <exception cref="ClusterJoinException">Not a secret this tool makes (wrong length or alphabet).</exception>
    public static ClusterSecret Parse(string text)
    {
        var trimmed = text.Trim().Replace('-', '+').Replace('_', '/');
        trimmed = trimmed.PadRight(trimmed.Length + ((4 - (trimmed.Length % 4)) % 4), '=');
        var decoded = new byte[Length + 3];
        if (!Convert.TryFromBase64String(trimmed, decoded, out var written) || written != Length)
        {
            throw new ClusterJoinException("The cluster secret is malformed: copy it from the join command that `grainetes up` printed (HOME/join-command on the first host).");
        }

        return new ClusterSecret(decoded[..Length]);
    }

    /// <summary>The secret kept in <paramref name="home"/>, or null when this home has none yet.</summary>
    public static async Task<ClusterSecret?> ReadAsync(string home, CancellationToken cancellationToken)
    {
        var file = FileIn(home);
        return File.Exists(file) ? Parse(await File.ReadAllTextAsync(file, cancellationToken)) : null;
    }

    public async Task SaveAsync(string home, CancellationToken cancellationToken)
    {
        var file = FileIn(home);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        if (File.Exists(file) && (await File.ReadAllTextAsync(file, cancellationToken)).Trim() == Text)
        {
            return;
        }

        File.Delete(file);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var writer = new StreamWriter(file, options);
        await writer.WriteAsync(Text);
    }

    /// <summary>
    /// An AES-256 key for one sealing: HKDF over the secret with a fresh salt per sealing, bound to the cluster's id
    /// so keys sealed for one cluster cannot be passed off as another's. The secret is 256 random bits, so no
    /// password stretching is needed.
    /// </summary>
    public byte[] DeriveKey(byte[] salt, string clusterId) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, bytes, 32, salt, Encoding.UTF8.GetBytes("grainetes cluster keys v1/" + clusterId));
}
