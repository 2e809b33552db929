namespace Grainetes.Host.Backup;

/// <summary>
/// The first line of a backup file, in the clear: what the gzip'd body after it holds and the SHA-256 of that body, so
/// a restore can refuse a damaged or foreign file before it writes anything.
/// </summary>
public sealed record BackupHeader
{
    /// <summary>Always <see cref="BackupFormat.Magic"/>; anything else is not a Grainetes backup.</summary>
    public required string Format { get; init; }

    /// <summary>The body's layout; a restore refuses versions it does not know.</summary>
    public required int Version { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Per kind: the resource version the kind's objects are consistent at, and how many there are.</summary>
    public required IReadOnlyList<BackupKindCut> Kinds { get; init; }

    public required long Objects { get; init; }

    /// <summary>Lowercase hex SHA-256 of the body bytes (compressed, as they are in the file).</summary>
    public required string BodySha256 { get; init; }

    public required long BodyBytes { get; init; }

    /// <summary>
    /// First 16 hex digits of the SHA-256 of the key that seals Secrets in the body; null when nothing is sealed. Lets a
    /// restore name the wrong key before it tries to open anything.
    /// </summary>
    public string? SecretsKeyFingerprint { get; init; }
}
