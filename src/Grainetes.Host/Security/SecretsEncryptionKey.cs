using System.Security.Cryptography;

namespace Grainetes.Host.Security;

/// <summary>
/// The AES-256 key that seals Secrets at rest, kept in <c>HOME/pki/secrets.key</c> (base64, owner-only) and made
/// on first start. Configuration (<c>Store:SecretsEncryptionKey</c>) wins when set, so every silo of a cluster can
/// be given the same key.
/// </summary>
public static class SecretsEncryptionKey
{
    public static string LoadOrCreate(string home, string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.Trim();
        }

        var directory = Path.Combine(home, "pki");
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, "secrets.key");
        if (File.Exists(file))
        {
            return File.ReadAllText(file).Trim();
        }

        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(file, options))
        {
            writer.Write(key);
        }

        return key;
    }
}
