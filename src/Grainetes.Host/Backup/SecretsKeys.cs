using System.Security.Cryptography;
using Grainetes.Host.Security;

namespace Grainetes.Host.Backup;

/// <summary>Which AES key seals Secrets where: in the store being read or written, and in the backup file.</summary>
public static class SecretsKeys
{
    /// <summary>Configuration's key (<c>Store__SecretsEncryptionKey</c>), as the silo reads it.</summary>
    public static string? Configured => Environment.GetEnvironmentVariable("Store__SecretsEncryptionKey") is { Length: > 0 } k ? k.Trim() : null;

    /// <summary>The key of an existing cluster: a key file given, configuration, or the home's key file; null when none exists.</summary>
    public static string? Existing(string? keyFile, string? home)
    {
        if (!string.IsNullOrEmpty(keyFile))
        {
            return File.ReadAllText(keyFile).Trim();
        }

        if (Configured is { } configured)
        {
            return configured;
        }

        var homeKey = home is null ? null : Path.Combine(home, "pki", "secrets.key");
        return homeKey is not null && File.Exists(homeKey) ? File.ReadAllText(homeKey).Trim() : null;
    }

    /// <summary>The key a restored store is sealed with: the one its silos will use (a new home gets one made).</summary>
    public static string? ForRestoredStore(string? home, string? backupKey) =>
        home is not null ? SecretsEncryptionKey.LoadOrCreate(home, Configured) : Configured ?? backupKey;

    /// <summary>A short, safe-to-print name of a key: the first 16 hex digits of its SHA-256.</summary>
    public static string? Fingerprint(string? key) =>
        key is null ? null : Convert.ToHexStringLower(SHA256.HashData(Convert.FromBase64String(key)))[..16];
}
